"""Signing audit records (shared/record_signing.py), keyed field digests (shared/digests.py) and the keys
the local set-up makes for them (deploy/local/audit_keys.py)."""

import base64
import json
import stat
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.records import parse_signers, public_keys, signed_by

from deploy.local.audit_keys import local_keys, record_signer
from services.audit.bootstrap import AuditSettings, record_signers
from services.audit.bootstrap import record_signer as audit_record_signer
from shared.audit_records import AuditKind, AuditRecord, canonical_text
from shared.digests import DigestKey
from shared.record_signing import RecordSigner, SigningAuditTopic


def _record(**fields: object) -> AuditRecord:
    return AuditRecord.model_validate({"record_id": uuid4(), "kind": "email.sent", "service": "notifier", **fields})


def test_a_signed_record_is_its_canonical_leaf_and_verifies_with_its_producers_key_only() -> None:
    signer, record = RecordSigner("notifier", Ed25519PrivateKey.generate()), _record()
    value, headers = signer.signed(record)
    signature = dict(headers)["drr-signature"].decode()
    assert value == canonical_text(record).encode() and dict(headers)["drr-signer"] == b"notifier"
    keys = public_keys(
        {"notifier": signer.public_key, "router": RecordSigner("router", Ed25519PrivateKey.generate()).public_key}
    )
    assert signed_by(keys, value, "notifier", signature) is None
    assert signed_by(keys, value.replace(b"email.sent", b"email.held"), "notifier", signature) is not None
    assert "does not verify" in str(signed_by(keys, value, "router", signature))  # another service's name
    assert signed_by(keys, value, None, None) == "not signed"


async def test_the_notifier_topic_signs_the_record_json_it_is_handed() -> None:
    sent: list[dict[str, object]] = []

    class Topic:
        async def send(self, *, key: bytes, value: bytes, headers: object = None) -> None:
            sent.append({"key": key, "value": value, "headers": headers})

    signer, record = RecordSigner("notifier", Ed25519PrivateKey.generate()), _record()
    await SigningAuditTopic(Topic(), signer).send(key=b"c", value=record.model_dump_json().encode())
    assert sent == [{"key": b"c", "value": signer.signed(record).value, "headers": signer.signed(record).headers}]


def test_keyed_digests_name_their_key_differ_per_key_and_agree_across_services() -> None:
    one, other = DigestKey(b"1" * 32), DigestKey(b"2" * 32)
    assert one.digest("high") == DigestKey(b"1" * 32).digest("high")  # intake's and the router's agree
    assert one.digest("high") != other.digest("high") and one.digest("high") != one.digest("low")
    key_id, mac = one.digest("high").split(":")
    assert key_id == one.key_id and len(mac) == 64
    assert one.digests({"severity": "high"}) == {"severity": one.digest("high")}
    with pytest.raises(ValueError):
        DigestKey(b"short")


def test_the_set_up_makes_each_key_once_private_to_its_service(tmp_path: Path) -> None:
    env = local_keys(tmp_path)
    assert local_keys(tmp_path) == env  # kept, not remade
    for name in ("DRR_ROUTER_RECORD_KEY_PATH", "DRR_INTAKE_DIGEST_KEY_PATH"):
        assert stat.S_IMODE(Path(env[name]).stat().st_mode) == 0o600
    assert "DRR_AUDIT_DIGEST_KEY_PATH" not in env  # the ledger's keeper cannot test values against digests
    signers = parse_signers(env["DRR_AUDIT_RECORD_SIGNERS"])
    assert set(signers) == {"intake", "router", "notifier", "audit"}
    assert json.loads((tmp_path / "keys" / "record-signers.json").read_text()) == json.loads(
        env["DRR_AUDIT_RECORD_SIGNERS"]
    )
    assert record_signer(env, "router").public_key == json.loads(env["DRR_AUDIT_RECORD_SIGNERS"])["router"]


def test_the_audit_service_refuses_to_start_with_signers_it_cannot_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRR_AUDIT_RECORD_SIGNERS")  # pydantic-settings would merge it into each map below
    env = local_keys(tmp_path)
    signers = json.loads(env["DRR_AUDIT_RECORD_SIGNERS"])
    key_path = Path(env["DRR_AUDIT_RECORD_KEY_PATH"])
    with pytest.raises(ValueError, match="non-empty"):
        record_signers(AuditSettings(record_signers={}, record_signers_path=None))
    with pytest.raises(ValueError, match="mallory"):
        record_signers(AuditSettings(record_signers={**signers, "mallory": signers["router"]}))
    with pytest.raises(ValueError, match="not a base64"):
        record_signers(AuditSettings(record_signers={**signers, "router": base64.b64encode(b"x").decode()}))
    wrong = {**signers, "audit": signers["router"]}
    with pytest.raises(ValueError, match="audit"):
        audit_record_signer(AuditSettings(record_signers=wrong, record_key_path=key_path), {})
    from_file = AuditSettings(
        record_signers={}, record_signers_path=tmp_path / "keys" / "audit" / "record-signers.json"
    )
    assert set(record_signers(from_file)) == set(signers)
    assert AuditKind.AUDIT_QUERIED  # the audit service signs its own query records too
