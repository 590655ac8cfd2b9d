"""An SMS's statuses (API.md): they only move forward.

`queued` (waiting for the sender) or `deferred` (quiet hours) → `sending` (our call to Twilio
began; if its answer is lost the SMS stays here until Twilio's callbacks or its message list
resolve it) → `sent` (Twilio accepted it) → `delivered` | `undelivered` | `failed`.
`suppressed` (opted out, no contact) is final too.
"""

QUEUED, DEFERRED, SENDING, SENT = "queued", "deferred", "sending", "sent"
DELIVERED, UNDELIVERED, FAILED, SUPPRESSED = "delivered", "undelivered", "failed", "suppressed"

RANK = {QUEUED: 0, DEFERRED: 0, SENDING: 1, SENT: 2, DELIVERED: 3, UNDELIVERED: 3, FAILED: 3, SUPPRESSED: 3}
FINAL = frozenset({DELIVERED, UNDELIVERED, FAILED, SUPPRESSED})

# Twilio's message statuses as ours: any of the first four means Twilio has it.
FROM_TWILIO = {
    "accepted": SENT, "scheduled": SENT, "queued": SENT, "sending": SENT, "sent": SENT,
    "delivered": DELIVERED, "undelivered": UNDELIVERED, "failed": FAILED, "canceled": FAILED,
}


def moves_forward(current: str, new: str) -> bool:
    return RANK[new] > RANK[current]
