"""A Twilio REST API simulator for Settle: Messages, magic test numbers, signed webhooks."""

from twilio_sim.app import create_app
from twilio_sim.config import Settings

__all__ = ["Settings", "create_app"]
