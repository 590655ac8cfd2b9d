"""Settle notifications service."""
