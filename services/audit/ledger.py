"""The hash chain, pure: each entry's hash covers the previous entry's hash and the record as stored.

Changing, removing or reordering a stored entry breaks the chain from that entry on, so anyone can
detect tampering by recomputing the hashes from the first entry (whose prev_hash is GENESIS).
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from shared.audit_records import AuditRecord, canonical_json

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    seq: int
    record_json: bytes
    """The record's canonical JSON, byte for byte what was hashed."""
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class Head:
    """Where the next entry attaches: the last entry's seq and hash (0 and GENESIS when empty)."""

    seq: int = 0
    entry_hash: str = GENESIS


def record_json(record: AuditRecord) -> bytes:
    return canonical_json(record.model_dump(mode="json"))


def entry_hash(prev_hash: str, record_json: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + record_json).hexdigest()


def extend(head: Head, records_json: Iterable[bytes]) -> list[Entry]:
    """The entries that chain the given records, in order, onto head."""
    entries: list[Entry] = []
    for body in records_json:
        new = Entry(head.seq + 1, body, head.entry_hash, entry_hash(head.entry_hash, body))
        entries.append(new)
        head = Head(new.seq, new.entry_hash)
    return entries


def first_broken(entries: Iterable[Entry]) -> int | None:
    """Index of the first entry that does not chain onto the one before it, or None if all do.

    Linear and streaming: entries may be a lazy iterator over the whole ledger.
    """
    expected = Head()
    for index, entry in enumerate(entries):
        if not _chains_onto(expected, entry):
            return index
        expected = Head(entry.seq, entry.entry_hash)
    return None


def _chains_onto(head: Head, entry: Entry) -> bool:
    return (
        entry.seq == head.seq + 1
        and entry.prev_hash == head.entry_hash
        and entry.entry_hash == entry_hash(entry.prev_hash, entry.record_json)
    )
