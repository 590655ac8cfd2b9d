"""Every Stripe error becomes a problem a caller can act on, never a 500."""

import stripe

from billing import stripe_api


def test_stripe_errors_map_to_problems():
    declined = {"error": {"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds", "message": "Declined."}}
    card = stripe_api.problem(stripe.CardError("Declined.", None, "card_declined", http_status=402, json_body=declined))
    assert (card.status, card.code, card.body()["decline_code"]) == (402, "card_declined", "insufficient_funds")

    # Our code is one of a fixed set; Stripe's rides beside it.
    small = stripe_api.problem(stripe.InvalidRequestError("Amount must be at least $0.50 usd", param="amount", code="amount_too_small", http_status=400))
    assert (small.status, small.code, small.field) == (422, "stripe_invalid_request", "amount")
    assert small.body()["stripe_code"] == "amount_too_small"

    for transient in (
        stripe.APIConnectionError("Network error"),
        stripe.RateLimitError("Too many requests", http_status=429),
        stripe.APIError("Internal error", http_status=500),
        stripe.IdempotencyError("Key in use", http_status=409),
    ):
        problem = stripe_api.problem(transient)
        assert (problem.status, problem.code) == (503, "stripe_unavailable"), transient
        assert int(problem.headers["Retry-After"]) >= 1

    keys = stripe_api.problem(stripe.AuthenticationError("Invalid API key", http_status=401))
    assert keys.status == 502
