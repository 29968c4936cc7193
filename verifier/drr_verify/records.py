"""Producer signatures on audit records: each service signs every record it produces with its own
Ed25519 key, over the record's exact leaf bytes, so an oversight body can check who said each thing
without trusting the ledger that keeps it.

The signed message is `CONTEXT` followed by the leaf (the record's canonical JSON, as hashed into the
tree). Signers are named by service (`intake`, `router`, ...); their public keys come from the services'
operators, as a JSON object `{"service": "BASE64 of the 32-byte raw key"}`.
"""

import base64
import binascii
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CONTEXT = b"drr-notify audit record v1\n"
"""Sets these signatures apart from anything else a key might ever sign."""
SIGNATURE_BYTES = 64


def signed_message(leaf: bytes) -> bytes:
    return CONTEXT + leaf


def signature_valid(key: Ed25519PublicKey, leaf: bytes, signature: bytes) -> bool:
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        key.verify(signature, signed_message(leaf))
    except InvalidSignature:
        return False
    return True


def parse_signers(text: str) -> dict[str, Ed25519PublicKey]:
    """Service -> public key from `{"service": "BASE64"}`; ValueError naming the entry that is not a key."""
    return public_keys(json.loads(text))


def public_keys(items: Any) -> dict[str, Ed25519PublicKey]:
    """Service -> public key from a mapping of service -> base64 raw key (ValueError if it is not one)."""
    if not isinstance(items, dict) or not items:
        raise ValueError("signers: expected a non-empty JSON object of service -> base64 Ed25519 public key")
    keys = {}
    for name, value in items.items():
        try:
            raw = base64.b64decode(str(value), validate=True)
            keys[str(name)] = Ed25519PublicKey.from_public_bytes(raw)
        except (binascii.Error, ValueError) as error:
            raise ValueError(f"signers: {name!r} is not a base64 Ed25519 public key") from error
    return keys


def signed_by(keys: dict[str, Ed25519PublicKey], leaf: bytes, signer: str | None, signature: str | None) -> str | None:
    """What is wrong with a leaf's producer signature, or None: signed by a known service, whose name the
    record itself gives as its `service`, over these exact bytes."""
    if not signer or not signature:
        return "not signed"
    key = keys.get(signer)
    if key is None:
        return f"signed by unknown signer {signer!r}"
    try:
        raw = base64.b64decode(signature, validate=True)
    except binascii.Error:
        return "signature is not base64"
    if not signature_valid(key, leaf, raw):
        return f"signature does not verify with {signer}'s key"
    try:
        service = json.loads(leaf).get("service")
    except (ValueError, AttributeError):
        return "leaf is not a record"
    if service != signer:
        return f"record of service {service!r} signed by {signer}"
    return None
