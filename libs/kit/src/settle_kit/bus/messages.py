"""Turning outbox rows into AMQP messages and back, with trace context in the headers."""

from __future__ import annotations

import json
from typing import Any

import aio_pika

ATTEMPT_HEADER = "x-settle-attempt"
ERROR_HEADER = "x-settle-error"


def build_message(envelope: dict[str, Any], headers: dict[str, Any]) -> aio_pika.Message:
    return aio_pika.Message(
        body=json.dumps(envelope, separators=(",", ":")).encode(),
        content_type="application/json",
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=str(envelope["id"]),
        type=envelope["type"],
        app_id=envelope.get("producer"),
        headers=headers,
    )


def copy_for_redelivery(message: aio_pika.abc.AbstractIncomingMessage, **headers: Any) -> aio_pika.Message:
    return aio_pika.Message(
        body=message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        type=message.type,
        app_id=message.app_id,
        headers={**(message.headers or {}), **headers},
    )


def attempt_of(message: aio_pika.abc.AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get(ATTEMPT_HEADER, 0)
    return value if isinstance(value, int) else 0
