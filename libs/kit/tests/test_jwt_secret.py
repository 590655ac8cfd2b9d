"""Production starts only with a real JWT secret: long enough and not a placeholder."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from settle_kit.settings import DEV_JWT_SECRET, ServiceSettings


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        (DEV_JWT_SECRET, "placeholder"),
        ("short-but-random-Zq81", "bytes"),
        ("x" * 31, "31 bytes"),
        ("please-CHANGE-this-value-before-going-live-0123456789", "'change'"),
        ("replace-me-with-a-long-value-from-the-secret-manager", "placeholder"),
        ("our-example-jwt-key-for-the-cluster-2f9c1a7e4b", "'example'"),
        ("this-is-the-production-Secret-1234567890abcdef", "'secret'"),
        ("placeholder-placeholder-placeholder-placeholder", "'placeholder'"),
    ],
)
def test_production_refuses_a_short_or_placeholder_jwt_secret(monkeypatch, secret, reason):
    monkeypatch.setenv("SETTLE_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", secret)
    with pytest.raises(ValidationError, match="JWT_SECRET") as refused:
        ServiceSettings()
    assert reason in str(refused.value)


def test_production_starts_with_a_random_secret_and_development_with_any(monkeypatch):
    strong = secrets.token_urlsafe(48)
    assert ServiceSettings(env="production", jwt_secret=strong).jwt_secret.get_secret_value() == strong
    monkeypatch.setenv("JWT_SECRET", "short")
    assert ServiceSettings(env="development").jwt_secret.get_secret_value() == "short"
