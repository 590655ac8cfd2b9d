"""Twilio's magic test numbers, plus the simulator's own numbers for delivery outcomes.

Twilio's numbers answer the create call with an error, exactly as Twilio's test credentials do
(https://www.twilio.com/docs/iam/test-credentials). Twilio's test credentials never deliver a
message, so the delivery-outcome numbers below are this simulator's own convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twilio_sim.errors import TwilioApiError, invalid_parameter

VALID_FROM = "+15005550006"
DEFAULT_SENDER = VALID_FROM

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _from_errors(number: str) -> TwilioApiError | None:
    if number == "+15005550001":
        return invalid_parameter(
            21212,
            f"The 'From' number {number} is not a valid phone number, shortcode, or alphanumeric sender ID.",
        )
    if number == "+15005550007":
        return invalid_parameter(
            21606,
            f"The 'From' phone number provided ({number}) is not a valid message-capable Twilio phone number "
            "for this destination/account",
        )
    if number == "+15005550008":
        return invalid_parameter(21611, "This 'From' number has exceeded the maximum number of queued messages")
    return None


def _to_errors(number: str, sender: str | None) -> TwilioApiError | None:
    if number == "+15005550001":
        return invalid_parameter(21211, f"Invalid 'To' Phone Number: {number}")
    if number == "+15005550002":
        return invalid_parameter(
            21612,
            f"The 'To' phone number: {number}, is not currently reachable using the 'From' phone number: "
            f"{sender or 'the Messaging Service'} via SMS.",
        )
    if number == "+15005550003":
        return invalid_parameter(
            21408,
            f"Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {number}.",
        )
    if number == "+15005550004":
        return invalid_parameter(21610, "Attempt to send to unsubscribed recipient")
    if number == "+15005550009":
        return invalid_parameter(21614, f"'To' number {number} is not a valid mobile number")
    return None


def check_sender(number: str) -> None:
    """Any well-formed E.164 sender is accepted, so the platform can run with its configured number."""
    if error := _from_errors(number):
        raise error
    if not E164.match(number):
        raise invalid_parameter(
            21212,
            f"The 'From' number {number} is not a valid phone number, shortcode, or alphanumeric sender ID.",
        )


def check_recipient(number: str, sender: str | None) -> None:
    if error := _to_errors(number, sender):
        raise error
    if not E164.match(number):
        raise invalid_parameter(21211, f"Invalid 'To' Phone Number: {number}")


@dataclass(frozen=True)
class Outcome:
    """Where a message's lifecycle ends and the error it carries there."""

    final_status: str
    error_code: int | None = None
    error_message: str | None = None


DELIVERED = Outcome("delivered")

ERROR_MESSAGES = {
    30001: "Queue overflow",
    30003: "Unreachable destination handset",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
}


def outcome(final_status: str, error_code: int | None = None) -> Outcome:
    return Outcome(final_status, error_code, ERROR_MESSAGES.get(error_code) if error_code else None)


# The simulator's own recipients whose messages are accepted (201) and then do not get delivered.
OUTCOME_NUMBERS: dict[str, Outcome] = {
    "+15005550020": outcome("undelivered", 30003),
    "+15005550021": outcome("undelivered", 30006),
    "+15005550022": outcome("failed", 30001),
    "+15005550023": outcome("failed", 30008),
    # Stops at `sent` and never reports delivery, as carriers without delivery receipts do.
    "+15005550030": outcome("sent"),
}

FINAL_STATUSES = {"delivered", "undelivered", "failed", "sent"}
