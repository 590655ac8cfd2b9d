from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

# What an operator asks for; `failed` is the queue's `dead` (it waits for a retry by hand) and
# `pending` covers events being processed right now.
EventStatus = Literal["failed", "pending", "processed"]
TaskStatus = Literal["failed", "pending", "done"]

_SHOWN = {"dead": "failed", "running": "pending"}


class StripeEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    status: EventStatus
    received_at: datetime
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    processed_at: datetime | None

    @classmethod
    def of(cls, event) -> "StripeEventOut":
        shown = _SHOWN.get(event.status, "processed" if event.status == "done" else event.status)
        return cls.model_validate({**_fields(event, cls), "status": shown})


class StripeTaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    status: TaskStatus
    payment_id: str | None
    transfer_id: str | None
    amount: int | None
    requested_by: str
    outcome: str | None
    created_at: datetime
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    done_at: datetime | None

    @classmethod
    def of(cls, task) -> "StripeTaskOut":
        return cls.model_validate({**_fields(task, cls), "status": _SHOWN.get(task.status, task.status)})


def _fields(row, model: type[BaseModel]) -> dict:
    return {name: getattr(row, name) for name in model.model_fields}
