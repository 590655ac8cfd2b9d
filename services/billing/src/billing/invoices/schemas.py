from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from settle_kit.money import Amount, Money

LinkType = Literal["deposit", "progress", "final", "full"]
InvoiceStatus = Literal["pending", "partial", "paid", "overdue", "cancelled", "refunded"]
LinkStatus = Literal["open", "paid", "expired", "cancelled"]
ReminderLevel = Literal["due", "overdue", "past_due", "final_notice"]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=2, max_length=32, description="A mobile number in international format, e.g. +14155552671")
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class InvoiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer: Customer
    description: str = Field(min_length=1, max_length=500)
    total: Money
    due_date: date | None = Field(None, description="ISO 8601 date (YYYY-MM-DD), on the customer's calendar")
    job_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    number: str | None = Field(None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$",
                               description="Default: the issuer's next, INV-0001 onward")
    reminders: bool = True
    issuer_name: str | None = Field(None, min_length=1, max_length=100, description="Signs the texts the customer gets")


class LinkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: LinkType
    percent: int | None = Field(None, ge=1, le=99, description="deposit only: percent of the total (default 50), rounded half up")
    amount: Amount | None = Field(None, description="progress only: minor units, at most what remains")
    expires_in_days: int = Field(30, ge=1, le=365)

    @model_validator(mode="after")
    def _fields_of_the_type(self) -> LinkCreate:
        if self.percent is not None and self.type != "deposit":
            raise ValueError("percent is for deposit links only")
        if self.type == "progress" and self.amount is None:
            raise ValueError("a progress link needs an amount")
        if self.amount is not None and self.type != "progress":
            raise ValueError("amount is for progress links only")
        return self


class SendCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    link_id: str | None = Field(None, min_length=1, max_length=40)


class InvoiceRefundCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount | None = Field(None, description="Minor units; default: everything paid")


class InvoiceMoney(BaseModel):
    """Money as shown: integer minor units (0 allowed, e.g. nothing paid yet) and the currency."""

    amount: int = Field(ge=0)
    currency: str


class LinkOut(BaseModel):
    id: str
    invoice_id: str
    type: LinkType
    amount: InvoiceMoney
    url: str
    status: LinkStatus
    expires_at: datetime
    created_at: datetime
    sent_at: datetime | None
    opened_at: datetime | None
    paid_at: datetime | None


class CustomerOut(BaseModel):
    name: str
    phone: str
    email: str | None


class InvoiceOut(BaseModel):
    id: str
    number: str
    issuer_id: str
    customer: CustomerOut
    description: str
    total: InvoiceMoney
    paid: InvoiceMoney = Field(description="From the invoice's own payments less their refunds; paid + remaining = total")
    remaining: InvoiceMoney
    status: InvoiceStatus
    due_date: date | None
    job_id: str | None
    reminders: bool
    links: list[LinkOut]
    created_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None


class SendOut(BaseModel):
    sms_id: str
    link: LinkOut


class RefundLine(BaseModel):
    id: str
    payment_id: str
    amount: int
    status: str


class InvoiceRefundOut(BaseModel):
    invoice_id: str
    amount: InvoiceMoney
    refunds: list[RefundLine]


class ReminderOut(BaseModel):
    level: ReminderLevel
    status: Literal["scheduled", "sent", "withdrawn"]
    withdrawn_reason: str | None
    decided_at: datetime
    sent_at: datetime | None
    body: str | None
    sms_status: str | None
    reply: str | None
    replied_at: datetime | None


class ReminderList(BaseModel):
    data: list[ReminderOut]


class RevenueOut(BaseModel):
    job_id: str
    invoiced: list[InvoiceMoney] = Field(description="Totals of the job's invoices that are not cancelled, per currency")
    collected: list[InvoiceMoney] = Field(description="Money received on them, before refunds")
    refunded: list[InvoiceMoney] = Field(description="Money given back (including excess paid beyond a total)")
    outstanding: list[InvoiceMoney] = Field(description="What remains to be paid")
