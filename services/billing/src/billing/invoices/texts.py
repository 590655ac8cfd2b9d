"""The texts customers and issuers get (the seed's wording, API.md), in the invoice's currency."""

from __future__ import annotations

from settle_kit.money import format_money

# Reminder levels, in order, by days past the due date (on the customer's calendar).
LEVELS = ("due", "overdue", "past_due", "final_notice")
LEVEL_DAYS = {"due": 0, "overdue": 1, "past_due": 8, "final_notice": 15}


def link_sent(amount: int, currency: str, url: str) -> str:
    return f"Hi! Your balance of {format_money(amount, currency)} is ready. Pay securely here: {url}"


def reminder(level: str, amount: int, currency: str, url: str, days_overdue: int) -> str:
    money = format_money(amount, currency)
    if level == "due":
        return f"Hi! Your invoice of {money} is ready. Pay securely here: {url}"
    if level == "overdue":
        return f"Hi! Just a reminder that your balance of {money} is due. Pay easily here: {url}"
    if level == "past_due":
        return f"Reminder: Your balance of {money} is past due. Pay securely here: {url}"
    return f"Final notice: Your balance of {money} is {days_overdue} days overdue. Please pay now to avoid additional action: {url}"


def payment_received(amount: int, currency: str, issuer_name: str) -> str:
    return f"✅ Payment of {format_money(amount, currency)} received! Thank you for your business. - {issuer_name}"


def issuer_payment_received(amount: int, currency: str, customer_name: str) -> str:
    return f"💰 Payment received: {format_money(amount, currency)} from {customer_name}"


def excess_refunded_to_customer(amount: int, currency: str, issuer_name: str) -> str:
    return f"{format_money(amount, currency)} of your payment was more than your balance and has been refunded. - {issuer_name}"


def issuer_excess_refunded(amount: int, currency: str, customer_name: str, number: str) -> str:
    return (
        f"Two payments for invoice {number} came in at once: {format_money(amount, currency)} more than its total "
        f"was refunded to {customer_name}."
    )


def issuer_link_paid_twice(amount: int, currency: str, customer_name: str, number: str) -> str:
    return f"A link of invoice {number} was paid twice: the second payment, {format_money(amount, currency)}, was refunded to {customer_name}."
