"""Payment receipts: the system messages billing's outcomes leave in the payment's conversation.

Texts (amounts in the payment's currency via `format_money`; `<for>` is `for <project title>`, or
`for this conversation` when the payment has no project):

    succeeded            ✅ Payment of $30.00 for Logo design succeeded.
    failed               ❌ Payment of $30.00 for Logo design failed.
    refund, partial      ↩️ $10.00 of the payment of $30.00 for Logo design was refunded.
    refund, the whole    ↩️ The payment of $30.00 for Logo design was fully refunded.
    refund, the rest     ↩️ $20.00 of the payment of $30.00 for Logo design was refunded; it is now fully refunded.

Each outcome is posted once, whatever billing's event ids: the message's `dedupe_key` names the
fact (`payment:<id>:succeeded`, `payment:<id>:failed`, `payment:<id>:refund:<refund id>`).
A payment without a conversation posts nothing. This module has no I/O.
"""

from __future__ import annotations

from settle_kit.money import format_money

NO_PROJECT = "this conversation"


def _for(project_title: str | None) -> str:
    return f"for {project_title or NO_PROJECT}"


def succeeded_text(amount: int, currency: str, project_title: str | None) -> str:
    return f"✅ Payment of {format_money(amount, currency)} {_for(project_title)} succeeded."


def failed_text(amount: int, currency: str, project_title: str | None) -> str:
    return f"❌ Payment of {format_money(amount, currency)} {_for(project_title)} failed."


def refunded_text(amount: int, currency: str, refund_amount: int, amount_refunded: int, project_title: str | None) -> str:
    """`amount_refunded` is the payment's total refunded after this refund."""
    payment = f"the payment of {format_money(amount, currency)} {_for(project_title)}"
    if amount_refunded < amount:
        return f"↩️ {format_money(refund_amount, currency)} of {payment} was refunded."
    if refund_amount >= amount:
        return f"↩️ {payment[0].upper()}{payment[1:]} was fully refunded."
    return f"↩️ {format_money(refund_amount, currency)} of {payment} was refunded; it is now fully refunded."


def succeeded_key(payment_id: str) -> str:
    return f"payment:{payment_id}:succeeded"


def failed_key(payment_id: str) -> str:
    return f"payment:{payment_id}:failed"


def refund_key(payment_id: str, refund_id: str) -> str:
    return f"payment:{payment_id}:refund:{refund_id}"
