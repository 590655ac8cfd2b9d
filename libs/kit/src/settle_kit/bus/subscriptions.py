"""A service's subscriptions: the one list of event types it consumes and their handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from settle_contracts import Event
from settle_kit.bus.uow import UnitOfWork

E = TypeVar("E", bound=Event)
Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
BatchHandler = Callable[[list[Any], UnitOfWork], Awaitable[None]]


def _every(event: Event) -> bool:
    return True


@dataclass(frozen=True)
class Only:
    """A handler for only those events of its type that pass `when` (e.g. payments of one
    purpose). The others are acknowledged without a transaction or an inbox row: another
    service's events would otherwise cost a commit each in every service that ignores them."""

    handler: Handler
    when: Callable[[Any], bool]


@dataclass(frozen=True)
class Batched:
    """A handler that takes a run of events at once, `async def handle(events, uow)`: the events
    of a delivery batch that come one after another and go to it (it may serve several types).
    A burst then costs it a round trip or two rather than some per event. For handlers that
    record, not for ones that emit: a run shares its trace span and carries no causation id.
    `when` filters as in `Only`. If the run fails, each event is retried on its own, as a run
    of one."""

    handler: BatchHandler
    when: Callable[[Any], bool] = _every


@dataclass(frozen=True)
class Subscription:
    model: type[Event]
    handler: Handler | BatchHandler
    wants: Callable[[Any], bool] = _every
    batched: bool = False


class Subscriptions:
    """Maps event contracts to handlers `async def handle(event, uow) -> None` (or `Only(...)`,
    `Batched(...)`)."""

    def __init__(self, handlers: Mapping[type[Event], Handler | Only | Batched]) -> None:
        self._by_type: dict[str, Subscription] = {}
        for model, handler in handlers.items():
            if model.event_type in self._by_type:
                raise ValueError(f"{model.event_type} is subscribed twice")
            if isinstance(handler, Only):
                self._by_type[model.event_type] = Subscription(model, handler.handler, handler.when)
            elif isinstance(handler, Batched):
                self._by_type[model.event_type] = Subscription(model, handler.handler, handler.when, batched=True)
            else:
                self._by_type[model.event_type] = Subscription(model, handler)

    @property
    def event_types(self) -> list[str]:
        return sorted(self._by_type)

    def __bool__(self) -> bool:
        return bool(self._by_type)

    def resolve(self, event_type: str) -> Subscription:
        return self._by_type[event_type]
