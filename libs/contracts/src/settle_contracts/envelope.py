from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    """Payload of a domain event. Subclasses set `event_type` (dotted, past tense) and `version`."""

    # Consumers must tolerate fields added by newer producers.
    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" in cls.__dict__:
            registry.register(cls)


class Envelope(BaseModel):
    """What travels on the bus: metadata around an event's `data`."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    producer: str
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        event: Event,
        *,
        producer: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        return cls(
            type=event.event_type,
            version=event.version,
            producer=producer,
            correlation_id=correlation_id,
            causation_id=causation_id,
            data=event.model_dump(mode="json"),
        )

    def open(self) -> Event:
        """The typed event inside, validated against the registered contract."""
        return registry.model_for(self.type, self.version).model_validate(self.data)


class EventRegistry:
    def __init__(self) -> None:
        self._models: dict[tuple[str, int], type[Event]] = {}

    def register(self, model: type[Event]) -> None:
        key = (model.event_type, model.version)
        if key in self._models and self._models[key] is not model:
            raise ValueError(f"event {key} is defined twice")
        self._models[key] = model

    def model_for(self, event_type: str, version: int) -> type[Event]:
        try:
            return self._models[(event_type, version)]
        except KeyError:
            raise UnknownEvent(event_type, version) from None

    def all(self) -> list[type[Event]]:
        return [self._models[k] for k in sorted(self._models)]


class UnknownEvent(LookupError):
    def __init__(self, event_type: str, version: int) -> None:
        super().__init__(f"no contract for event {event_type} v{version}")


registry = EventRegistry()
