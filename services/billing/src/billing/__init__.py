"""Settle billing service."""
