"""Field-level envelope encryption: the risk, clinical and intelligence fields of a payload travel and rest
sealed under the case's data key (shared/case_keys.py), everything else stays readable for routing.

A sealed field is `{"sealed": base64 ciphertext, "digest": KEYID:HEX}`. The ciphertext is Tink AEAD
(AES-256-GCM) over the value's canonical JSON, bound by its associated data to the case, the event and the
field, so a sealed value copied into another case, event or field does not open. The digest is the field's
keyed audit digest (shared/digests.py), taken by intake over the clear value, so the router, which holds no
data key, can still record what it shared. Empty values (None, [], "") are not sealed: they say nothing, and
the policy's notices depend on whether a field holds a value.
"""

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

import tink
from tink import aead

from shared.audit_records import canonical_json
from shared.digests import DigestKey
from shared.payloads import PAYLOADS
from shared.sensitivity import Sensitivity, sensitivity_of

aead.register()
SEALED_CLASSES = frozenset({Sensitivity.RISK, Sensitivity.CLINICAL, Sensitivity.INTELLIGENCE})
DATA_KEY_TEMPLATE = aead.aead_key_templates.AES256_GCM
SEALED_FIELDS: dict[str, frozenset[str]] = {
    event_type: frozenset(name for name, c in sensitivity_of(model).items() if c in SEALED_CLASSES)
    for event_type, model in PAYLOADS.items()
}
"""Event type -> the payload fields sealed on the wire."""


class CannotOpen(ValueError):
    """A sealed value that does not open: the wrong case, event or field, or its case's key is erased."""


class CaseErased(CannotOpen):
    """The case's keys are destroyed (crypto-shredding): nothing sealed under them opens for anyone, and
    nothing new about the case is sealed or recorded."""


def associated_data(case_id: str, item_id: str, field: str) -> bytes:
    """What a ciphertext is bound to: the case, the event (or delivery, for an acknowledgement) and the field."""
    return canonical_json(["drr-sealed-field", case_id, item_id, field])


def new_data_key() -> tink.KeysetHandle:
    return tink.new_keyset_handle(DATA_KEY_TEMPLATE)


class CaseCipher:
    """One case's data key as an AEAD; `keys` holds every keyset the case was ever given (see case_keys.py on
    two intake instances racing), the first encrypts, any opens."""

    def __init__(self, case_id: str, keys: Iterable[tink.KeysetHandle]) -> None:
        self.case_id = case_id
        self._aeads = [k.primitive(aead.Aead) for k in keys]
        if not self._aeads:
            raise ValueError("a case cipher needs a key")

    def seal(self, item_id: str, field: str, value: Any, digest: str) -> dict[str, str]:
        ciphertext = self._aeads[0].encrypt(canonical_json(value), associated_data(self.case_id, item_id, field))
        return {"sealed": base64.b64encode(ciphertext).decode(), "digest": digest}

    def open(self, item_id: str, field: str, sealed: Mapping[str, Any]) -> Any:
        ciphertext = base64.b64decode(str(sealed["sealed"]))
        context = associated_data(self.case_id, item_id, field)
        for cipher in self._aeads:
            try:
                return json.loads(cipher.decrypt(ciphertext, context))
            except tink.TinkError:
                continue
        raise CannotOpen(f"sealed field {field!r} does not open under case {self.case_id!r}'s key")


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"sealed", "digest"}


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == ""


def seal_payload(
    event_type: str, event_id: str, payload: Mapping[str, Any], cipher: CaseCipher, digests: DigestKey
) -> dict[str, Any]:
    """The payload (JSON form) with its sealed-class fields sealed; empty ones become None."""
    names = SEALED_FIELDS[event_type]
    out: dict[str, Any] = {}
    for name, value in payload.items():
        if name not in names:
            out[name] = value
        elif _empty(value):
            out[name] = None
        else:
            out[name] = cipher.seal(event_id, name, value, digests.digest(value))
    return out


def open_payload(event_type: str, event_id: str, payload: Mapping[str, Any], cipher: CaseCipher) -> dict[str, Any]:
    """The payload with every sealed field opened (a delivery's, to render its one email)."""
    names = SEALED_FIELDS.get(event_type, frozenset())
    return {
        name: cipher.open(event_id, name, value) if name in names and is_sealed(value) else value
        for name, value in payload.items()
    }


def field_digests(payload: Mapping[str, Any], digests: DigestKey) -> dict[str, str]:
    """Each field's audit digest: a sealed field carries the one intake took; a clear field is digested here."""
    return {name: value["digest"] if is_sealed(value) else digests.digest(value) for name, value in payload.items()}
