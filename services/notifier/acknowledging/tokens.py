"""Acknowledgement links: signed (HMAC-SHA256), expiring, single-purpose tokens naming one alert.

No login is needed because the token itself is the proof: it can acknowledge this alert for this
recipient until it expires, and do nothing else. Pure functions; the clock's `now` is passed in.
"""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

PURPOSE = "ack"


class InvalidToken(ValueError):
    """`reason` is a code for the 4xx answer: malformed, bad_signature, wrong_purpose, expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AckClaim:
    delivery_id: str
    case_id: str
    recipient_id: str
    expires_at: int


def sign(secret: bytes, claim: AckClaim) -> str:
    body = _b64(json.dumps({"p": PURPOSE, **claim.__dict__}, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_b64(_mac(secret, body))}"


def claim_for(delivery_id: str, case_id: str, recipient_id: str, now: datetime, ttl: timedelta) -> AckClaim:
    return AckClaim(delivery_id, case_id, recipient_id, int((now + ttl).timestamp()))


def verify(secret: bytes, token: str, now: datetime) -> AckClaim:
    body, _, mac = token.partition(".")
    try:
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError as exc:
        raise InvalidToken("malformed") from exc
    if not hmac.compare_digest(given, _mac(secret, body)):
        raise InvalidToken("bad_signature")
    if not isinstance(data, dict) or data.pop("p", None) != PURPOSE:
        raise InvalidToken("wrong_purpose")
    try:
        claim = AckClaim(**data)
    except TypeError as exc:
        raise InvalidToken("malformed") from exc
    if now.timestamp() > claim.expires_at:
        raise InvalidToken("expired")
    return claim


def _mac(secret: bytes, body: str) -> bytes:
    return hmac.new(secret, body.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
