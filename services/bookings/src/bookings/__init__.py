"""Settle bookings service."""
