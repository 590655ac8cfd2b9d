"""Settle messaging service."""
