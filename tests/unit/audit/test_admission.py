"""The ledger's door, on SQLite and PostgreSQL: only records signed by a known service, of a kind that
service may produce, become leaves; everything else is refused with its reason and counted, and the
records around it are stored. A known record id with other content is an alarm; an exact repeat is not."""

import base64
import json
import logging
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.records import signed_message
from prometheus_client import REGISTRY

from services.audit.admission import Message, Reason
from services.audit.ingest import prepare, store
from services.audit.leaves import EntryFilter
from services.audit.producers import MAY_PRODUCE
from services.audit.store import SqlLedger
from shared.audit_records import AuditKind, AuditRecord, canonical_text
from shared.record_signing import RecordSigner
from tests.unit.audit.signed import ADMISSION, SIGNERS, message, record, signed


def _refused(reason: str) -> float:
    return REGISTRY.get_sample_value("drr_audit_records_refused_total", {"reason": reason}) or 0.0


def _conflicts() -> float:
    return REGISTRY.get_sample_value("drr_audit_conflicting_records_total") or 0.0


def _signed_as(service: str, value: bytes, key: Ed25519PrivateKey | None = None) -> Message:
    """`value` with headers claiming `service`, signed by `key` (default: a key nobody knows)."""
    signature = base64.b64encode((key or Ed25519PrivateKey.generate()).sign(signed_message(value)))
    return message(value, 1, [("drr-signer", service.encode()), ("drr-signature", signature)])


def _canonical(made: AuditRecord) -> bytes:
    return canonical_text(made).encode()


def forged_cases() -> dict[str, Message]:
    router_record = record(kind="sharing.decided", service="router")
    intake_sharing = record(kind="sharing.decided", service="intake")
    return {
        "unsigned": message(_canonical(router_record), 1),
        "unknown_signer": _signed_as("mallory", _canonical(record(service="mallory"))),
        "bad_signature": _signed_as("router", _canonical(router_record)),  # the router's name, another key
        "kind_not_permitted": signed(intake_sharing, 1),  # intake's own key, but only the router decides sharing
        "not_its_service": _signed_as("router", _canonical(record(service="notifier")), _key("router")),
        "not_canonical": _signed_as("router", router_record.model_dump_json().encode(), _key("router")),
        "unparseable": _signed_as("router", b'{"secret": "Jane Doe"}', _key("router")),
    }


def _key(service: str) -> Ed25519PrivateKey:
    return SIGNERS[service]._key  # noqa: SLF001 - the test signs what the real signer would refuse to


@pytest.mark.parametrize("reason", sorted(forged_cases()))
def test_each_forgery_is_refused_counted_and_logged_without_content_while_the_rest_is_stored(
    ledger: SqlLedger, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    before, genuine = _refused(reason), [record(), record()]
    forged = forged_cases()[reason]
    with caplog.at_level(logging.WARNING, logger="services.audit.ingest"):
        new = store(ledger, [signed(genuine[0], 0), forged, signed(genuine[1], 2)], ADMISSION)
    assert new == 2 and ledger.size() == 2 and ledger.offsets() == {("drr.audit", 2): 3}
    stored = [json.loads(e.text)["record_id"] for e in ledger.entries(EntryFilter())]
    assert stored == [str(r.record_id) for r in genuine]
    assert _refused(reason) == before + 1
    [logged] = caplog.records
    assert (logged.reason, logged.offset) == (reason, 1)  # type: ignore[attr-defined]
    assert "Jane" not in repr(logged.__dict__) and "mallory" not in repr(logged.__dict__)


def test_the_admitted_leaf_keeps_its_producers_signature(ledger: SqlLedger) -> None:
    made = record(kind="sharing.decided", service="router")
    sent = signed(made)
    store(ledger, [sent], ADMISSION)
    [entry] = ledger.entries(EntryFilter())
    assert entry.text.encode() == sent.value and entry.signer == "router"
    assert entry.signature == dict(sent.headers)["drr-signature"].decode()


def test_a_known_id_with_other_content_is_an_alarm_and_the_first_record_stands(
    ledger: SqlLedger, caplog: pytest.LogCaptureFixture
) -> None:
    first = record(kind="sharing.decided", service="router", outcome="not_shared")
    pre_empted = first.model_copy(update={"outcome": "shared"})
    alarms = _conflicts()
    store(ledger, [signed(first, 0)], ADMISSION)
    with caplog.at_level(logging.WARNING, logger="services.audit.ingest"):
        assert store(ledger, [signed(pre_empted, 1), signed(record(), 2)], ADMISSION) == 1
    assert _conflicts() == alarms + 1 and ledger.size() == 2
    assert json.loads(ledger.entries(EntryFilter(), 0, 1)[0].text)["outcome"] == "not_shared"
    [logged] = caplog.records
    assert logged.levelno == logging.ERROR and logged.record_id == str(first.record_id)  # type: ignore[attr-defined]


def test_a_conflict_within_one_batch_keeps_the_first_too(ledger: SqlLedger) -> None:
    first = record(outcome="delivered")
    alarms = _conflicts()
    batch = [signed(first, 0), signed(first.model_copy(update={"outcome": "failed"}), 1)]
    assert store(ledger, batch, ADMISSION) == 1 and _conflicts() == alarms + 1
    assert json.loads(ledger.entries(EntryFilter())[0].text)["outcome"] == "delivered"


def test_a_repeat_differing_only_in_when_it_was_recorded_is_a_silent_redelivery(ledger: SqlLedger) -> None:
    """A producer that redid its work after a restart makes the same record at a later moment."""
    first = record(recorded_at="2026-12-01T10:00:00Z")
    again = first.model_copy(update={"recorded_at": first.recorded_at.replace(minute=5)})
    alarms, duplicates = _conflicts(), REGISTRY.get_sample_value("drr_audit_duplicates_skipped_total") or 0.0
    assert store(ledger, [signed(first, 0)], ADMISSION) == 1
    assert store(ledger, [signed(first, 1), signed(again, 2)], ADMISSION) == 0
    assert _conflicts() == alarms and ledger.size() == 1
    assert REGISTRY.get_sample_value("drr_audit_duplicates_skipped_total") == duplicates + 2


def test_the_signature_is_checked_before_the_content_is_parsed() -> None:
    """A forger's bytes are never parsed: refused as unsigned or badly signed whatever they hold."""
    batch = prepare([_signed_as("router", b"\xff not even utf-8")], ADMISSION)
    assert [r.reason for r in batch.refused] == ["bad_signature"]


def test_every_refusal_reason_is_exported_from_the_start_so_the_first_one_alerts() -> None:
    assert set(Reason.refusals()) == set(forged_cases())
    for reason in Reason.refusals():
        assert REGISTRY.get_sample_value("drr_audit_records_refused_total", {"reason": reason}) is not None


def test_every_kind_of_record_has_a_service_that_may_produce_it() -> None:
    produced = set().union(*MAY_PRODUCE.values())
    assert produced == set(AuditKind), f"no producer for {set(AuditKind) - produced}"


def test_a_signer_signs_only_its_own_services_records() -> None:
    with pytest.raises(ValueError, match="intake"):
        RecordSigner("router", Ed25519PrivateKey.generate()).signed(record(service="intake", record_id=uuid4()))
