"""Moving an SMS forward, and telling whoever asked for it (`notifications.sms.*` events, in the
same transaction)."""

from datetime import datetime

from settle_contracts.notifications import SmsDelivered, SmsFailed, SmsSent, SmsSuppressed
from settle_kit.bus.uow import UnitOfWork

from notifications.sms.models import Sms
from notifications.sms.status import DELIVERED, FAILED, SENT, SUPPRESSED, UNDELIVERED, moves_forward


def move(
    uow: UnitOfWork, sms: Sms, new: str, now: datetime, *,
    twilio_sid: str | None = None, error_code: str | None = None, error_message: str | None = None,
) -> bool:
    """Moves `sms` to `new` if that is forward (a late or repeated report is ignored); whether it
    moved. Learning Twilio's sid is kept either way (a callback may be the first to tell it)."""
    if twilio_sid and sms.twilio_sid is None:
        sms.twilio_sid = twilio_sid
    if not moves_forward(sms.status, new):
        return False
    sms.status, sms.updated_at = new, now
    common = {
        "sms_id": sms.id, "to": sms.to_phone, "kind": sms.kind, "requested_by": sms.requested_by,
        "reference_type": sms.reference_type, "reference_id": sms.reference_id,
    }
    # Delivered or undelivered also means Twilio took it, even if we learn both at once.
    if new in (SENT, DELIVERED, UNDELIVERED) and sms.sent_at is None:
        sms.sent_at = now
        uow.emit(SmsSent(**common, twilio_sid=sms.twilio_sid, segments=sms.segments, sent_at=now))
    if new == DELIVERED:
        sms.delivered_at = now
        uow.emit(SmsDelivered(**common, twilio_sid=sms.twilio_sid, delivered_at=now))
    elif new in (FAILED, UNDELIVERED):
        sms.error_code, sms.error_message = error_code, error_message
        uow.emit(SmsFailed(**common, status=new, error_code=error_code, error_message=error_message, failed_at=now))
    elif new == SUPPRESSED:
        sms.error_code, sms.error_message = error_code, error_message
        uow.emit(SmsSuppressed(**common, error_code=error_code or "suppressed", suppressed_at=now))
    return True
