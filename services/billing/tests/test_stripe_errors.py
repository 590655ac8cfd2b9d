"""Every Stripe error becomes a problem a caller can act on, never a 500."""

import stripe

from billing import stripe_api


def test_stripe_errors_map_to_problems():
    card = stripe_api.problem(stripe.CardError("Your card was declined.", param=None, code="card_declined", http_status=402))
    assert (card.status, card.code) == (402, "card_declined")

    small = stripe_api.problem(stripe.InvalidRequestError("Amount must be at least $0.50 usd", param="amount", code="amount_too_small", http_status=400))
    assert (small.status, small.code, small.field) == (422, "amount_too_small", "amount")

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
