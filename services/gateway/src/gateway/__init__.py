"""Settle gateway."""
