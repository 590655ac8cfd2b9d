"""In-memory state: messages, opt-outs, fault switches and the log of webhooks sent."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime

from twilio_sim.magic_numbers import DELIVERED, Outcome

API_VERSION = "2010-04-01"

# Twilio's own opt-out keywords (Advanced Opt-Out defaults), matched on the whole trimmed body.
STOP_KEYWORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_KEYWORDS = {"START", "YES", "UNSTOP"}
HELP_KEYWORDS = {"HELP", "INFO"}

_sequence = itertools.count()


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def rfc2822(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


@dataclass
class Message:
    account_sid: str
    to: str
    from_: str | None
    body: str
    direction: str
    status: str
    num_segments: int
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    outcome: Outcome = DELIVERED
    error_code: int | None = None
    error_message: str | None = None
    sid: str = field(default_factory=lambda: new_sid("SM"))
    date_created: datetime = field(default_factory=now)
    date_updated: datetime = field(default_factory=now)
    date_sent: datetime | None = None
    # Every status the message has been in, oldest first; kept for the test helpers.
    history: list[str] = field(default_factory=list)
    seq: int = field(default_factory=lambda: next(_sequence))

    def __post_init__(self) -> None:
        self.history.append(self.status)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def resource(self) -> dict:
        """The Message resource exactly as Twilio's API spells it."""
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": rfc2822(self.date_created),
            "date_sent": rfc2822(self.date_sent),
            "date_updated": rfc2822(self.date_updated),
            "direction": self.direction,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": "0",
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}/Media.json",
                "feedback": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}/Feedback.json",
            },
            "to": self.to,
            "uri": self.uri,
        }


@dataclass
class WebhookAttempt:
    kind: str  # "status_callback" or "inbound"
    url: str
    params: dict[str, str]
    signature: str
    message_sid: str
    response_status: int | None = None
    response_body: str | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Faults:
    """Switches tests flip to make the next sends fail the way Twilio sometimes does."""

    rate_limited_sends: int = 0
    server_error_sends: int = 0
    server_error_status: int = 500
    # True: the failed send still creates and delivers the message, as when Twilio's answer is lost.
    server_error_after_create: bool = False
    # The next `slow_answer_sends` sends create the message (its lifecycle starts) and only answer
    # after `slow_answer_s`: a client killed meanwhile never learns the sid it was given.
    slow_answer_sends: int = 0
    slow_answer_s: float = 0.0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Store:
    messages: dict[str, Message] = field(default_factory=dict)
    # Numbers that texted STOP; sends to them fail with 21610 until they text START. Kept per number,
    # not per account or sender, because one simulator serves one platform with one sender.
    opted_out: set[str] = field(default_factory=set)
    # Recipients a test gave a delivery outcome of its own.
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    webhooks: list[WebhookAttempt] = field(default_factory=list)

    def add(self, message: Message) -> Message:
        self.messages[message.sid] = message
        return message

    def newest_first(self) -> list[Message]:
        return sorted(self.messages.values(), key=lambda m: m.seq, reverse=True)

    def reset(self) -> None:
        self.messages.clear()
        self.opted_out.clear()
        self.outcomes.clear()
        self.faults = Faults()
        self.webhooks.clear()
