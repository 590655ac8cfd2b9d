import pytest
from pydantic import ValidationError

from settle_kit.money import Money, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [(3000, "usd", "$30.00"), (3000, "jpy", "¥3,000"), (1250, "eur", "€12.50"), (5, "usd", "$0.05"),
     (123456789, "usd", "$1,234,567.89"), (1250, "chf", "12.50 CHF"), (500, "krw", "₩500")],
)
def test_amounts_are_formatted_in_their_currency(amount, currency, text):
    assert format_money(amount, currency) == text


@pytest.mark.parametrize(
    "payload",
    [{"amount": 30.0, "currency": "usd"}, {"amount": "3000", "currency": "usd"}, {"amount": 0, "currency": "usd"},
     {"amount": -5, "currency": "usd"}, {"amount": 100_000_000, "currency": "usd"}, {"amount": 100, "currency": "USD"},
     {"amount": 100, "currency": "xyz"}, {"amount": True, "currency": "usd"}],
)
def test_bad_money_is_refused(payload):
    with pytest.raises(ValidationError):
        Money.model_validate(payload)


def test_good_money_is_accepted():
    assert Money.model_validate({"amount": 99_999_999, "currency": "jpy"}).amount == 99_999_999
