"""Acknowledgement tokens: a valid one verifies; a forged, altered, repurposed or expired one does not."""

import base64
import json
from datetime import timedelta

import pytest

from services.notifier.acknowledging.tokens import AckClaim, InvalidToken, claim_for, sign, verify
from tests.unit.notifier.fakes import FakeClock

SECRET = b"k" * 32


def a_token(clock: FakeClock, ttl_s: float = 3600) -> str:
    return sign(SECRET, claim_for("d-1", "C-1", "p-1", clock.now(), timedelta(seconds=ttl_s)))


def test_a_signed_token_verifies_until_it_expires() -> None:
    clock = FakeClock()
    token = a_token(clock)
    assert verify(SECRET, token, clock.now()) == AckClaim("d-1", "C-1", "p-1", int(clock.now().timestamp()) + 3600)
    clock.advance(3601)
    with pytest.raises(InvalidToken, match="expired"):
        verify(SECRET, token, clock.now())


def test_another_secret_or_an_altered_body_is_refused() -> None:
    clock = FakeClock()
    token = a_token(clock)
    with pytest.raises(InvalidToken, match="bad_signature"):
        verify(b"other", token, clock.now())
    body, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**data, "case_id": "C-2"}).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="bad_signature"):
        verify(SECRET, f"{forged}.{mac}", clock.now())


@pytest.mark.parametrize("token", ["", "nodot", "!!!.???", "e30.e30"])
def test_garbage_is_malformed_or_unsigned(token: str) -> None:
    with pytest.raises(InvalidToken):
        verify(SECRET, token, FakeClock().now())
