"""A service's subscriptions: the one list of event types it consumes and their handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from settle_contracts import Event
from settle_kit.bus.uow import UnitOfWork

E = TypeVar("E", bound=Event)
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]


class Subscriptions:
    """Maps event contracts to handlers `async def handle(event, uow) -> None`."""

    def __init__(self, handlers: Mapping[type[Event], Handler]) -> None:
        self._by_type: dict[str, tuple[type[Event], Handler]] = {}
        for model, handler in handlers.items():
            if model.event_type in self._by_type:
                raise ValueError(f"{model.event_type} is subscribed twice")
            self._by_type[model.event_type] = (model, handler)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def __bool__(self) -> bool:
        return bool(self._by_type)

    def resolve(self, event_type: str) -> tuple[type[Event], Handler]:
        return self._by_type[event_type]
