"""The hash chain on its own: hashes computed as specified, tampering found at the right entry."""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.audit.ledger import GENESIS, Entry, Head, entry_hash, extend, first_broken, record_json
from shared.audit_records import AuditRecord


def _record(**fields: object) -> AuditRecord:
    base = {"record_id": uuid4(), "kind": "event.received", "service": "t"}
    return AuditRecord.model_validate({**base, **fields})


def _chain(n: int) -> list[Entry]:
    return extend(Head(), [record_json(_record(case_id=f"case-{i}")) for i in range(n)])


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_entry_hash_is_sha256_hex_of_prev_hash_then_record_json() -> None:
    prev, body = "ab" * 32, b'{"kind":"email.sent"}'
    assert entry_hash(prev, body) == hashlib.sha256(prev.encode() + body).hexdigest()


def test_record_json_is_the_sorted_compact_utf8_json_of_the_json_dump() -> None:
    record = _record(case_id="cas-é", recorded_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    dumped = record.model_dump(mode="json")
    expected = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert record_json(record) == expected
    assert b'"case_id":"cas-\xc3\xa9"' in expected and b'"recorded_at":"2026-01-02T03:04:05Z"' in expected
    assert list(json.loads(expected)) == sorted(dumped)


def test_extend_numbers_and_links_entries_from_the_head() -> None:
    first = _chain(3)
    assert [e.seq for e in first] == [1, 2, 3]
    assert first[0].prev_hash == GENESIS
    assert [e.prev_hash for e in first[1:]] == [e.entry_hash for e in first[:-1]]
    assert all(e.entry_hash == entry_hash(e.prev_hash, e.record_json) for e in first)
    more = extend(Head(3, first[-1].entry_hash), [b"{}"])
    assert (more[0].seq, more[0].prev_hash) == (4, first[-1].entry_hash)


def test_an_intact_chain_and_an_empty_one_verify() -> None:
    assert first_broken(_chain(5)) is None
    assert first_broken([]) is None


def _edit_record(entries: list[Entry], i: int) -> None:
    entries[i] = dataclasses.replace(entries[i], record_json=entries[i].record_json.replace(b"case", b"cAse"))


def _rehash(entries: list[Entry], i: int) -> None:
    """A forger who also recomputes the tampered entry's own hash is still caught at the next one."""
    _edit_record(entries, i)
    e = entries[i]
    entries[i] = dataclasses.replace(e, entry_hash=entry_hash(e.prev_hash, e.record_json))


@pytest.mark.parametrize(
    ("tamper", "broken_at"),
    [
        (lambda es: _edit_record(es, 2), 2),
        (lambda es: _rehash(es, 2), 3),
        (lambda es: es.__setitem__(1, dataclasses.replace(es[1], entry_hash="f" * 64)), 1),
        (lambda es: es.pop(2), 2),
        (lambda es: es.insert(1, es.pop(3)), 1),
        (lambda es: es.__setitem__(3, dataclasses.replace(es[3], seq=9)), 3),
        (lambda es: es.pop(0), 0),
    ],
    ids=[
        "record edited",
        "record edited and rehashed",
        "hash replaced",
        "entry removed",
        "entries reordered",
        "seq renumbered",
        "first entry removed",
    ],
)
def test_tampering_is_found_at_the_first_broken_entry(tamper: Callable[[list[Entry]], object], broken_at: int) -> None:
    entries = _chain(5)
    tamper(entries)
    assert first_broken(entries) == broken_at


def test_verification_streams_a_lazy_iterator() -> None:
    assert first_broken(iter(_chain(3))) is None
