"""Token verification: a verified token is remembered, but never past its expiry."""

import time
from datetime import timedelta

import pytest

from settle_kit.auth import mint_token, verify_token
from settle_kit.errors import Unauthorized

SECRET = "auth-test-secret-auth-test-secret-0123"


def test_a_remembered_token_still_expires():
    token, _ = mint_token(SECRET, "amy", "admin", ttl=timedelta(seconds=2))
    principal = verify_token(SECRET, token)
    assert (principal.user_id, principal.role) == ("amy", "admin")
    assert verify_token(SECRET, token) == principal  # the second time from memory
    time.sleep(2.1)
    with pytest.raises(Unauthorized) as refused:
        verify_token(SECRET, token)
    assert refused.value.code == "token_expired"


def test_a_token_is_remembered_only_under_its_own_secret():
    token, _ = mint_token(SECRET, "amy")
    assert verify_token(SECRET, token).user_id == "amy"
    with pytest.raises(Unauthorized) as refused:
        verify_token("another-secret-another-secret-0123456", token)
    assert refused.value.code == "invalid_token"
