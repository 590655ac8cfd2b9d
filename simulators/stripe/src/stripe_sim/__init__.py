"""Settle's Stripe API simulator: the official stripe SDK works against it with only its API base changed."""

from .app import create_app
from .config import Config

__all__ = ["create_app", "Config"]
