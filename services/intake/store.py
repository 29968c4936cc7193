"""SQLite storage for API keys, idempotency claims and the authority facts (stdlib sqlite3, WAL), behind
small ports (access.KeyRepository, ClaimRepository, authority.CaseFactRepository).

One file (DRR_INTAKE_DB_PATH) holds them all, so a restart of intake keeps its keys and remembers every
event it acknowledged. Calls are short and local; they run on the event loop's thread. The authority facts
(case owners, who published each event id, the agreement versions in force) are written in the same
transaction that marks the event's claim accepted, and kept for as long as the case may be followed up, so
(unlike claims) never pruned. The claims' table keeps its first name, `receipts` (as do `intake receipts
prune` and the pruning metric): names on disk and in operators' hands stay as they were.
"""

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from uuid import UUID

from services.intake.access import ApiKey
from services.intake.authority import Accepted, CaseFactRepository, CaseFacts, System
from shared.roles import Agency

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, agency TEXT NOT NULL, system TEXT NOT NULL,
    event_types TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS receipts (
    idempotency_key TEXT PRIMARY KEY, digest TEXT NOT NULL, event_id TEXT NOT NULL,
    state TEXT NOT NULL, claimed_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS receipts_by_claimed_at ON receipts (claimed_at);
CREATE INDEX IF NOT EXISTS receipts_by_event_id ON receipts (event_id);
CREATE TABLE IF NOT EXISTS case_owners (
    case_id TEXT PRIMARY KEY, agency TEXT NOT NULL, system TEXT NOT NULL, since_event_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_publishers (
    event_id TEXT NOT NULL, case_id TEXT NOT NULL, agency TEXT NOT NULL, PRIMARY KEY (event_id, case_id, agency));
CREATE TABLE IF NOT EXISTS agreement_versions (
    case_id TEXT NOT NULL, agreement_id TEXT NOT NULL, version INTEGER NOT NULL, agency TEXT NOT NULL,
    PRIMARY KEY (case_id, agreement_id));
"""
CLAIM_KEYS_BY_AGENCY = """
UPDATE receipts SET idempotency_key = 'event:' || (
    SELECT min(agency) FROM event_publishers p WHERE p.event_id = receipts.event_id) || ':' || event_id
WHERE idempotency_key = 'event:' || event_id
    AND EXISTS (SELECT 1 FROM event_publishers p WHERE p.event_id = receipts.event_id);
DELETE FROM receipts WHERE idempotency_key = 'event:' || event_id AND state = 'pending';
PRAGMA user_version = 1;
"""
"""Once, on a database from before claims were scoped per agency: an `event:ID` claim becomes
`event:AGENCY:ID` of the agency that published it (event_publishers). A pending one
(its request died) is forgotten, as a stale claim would be taken over; one whose publisher is unknown
stays, and so holds its event id against every agency until it is pruned."""
TAKEN = """
SELECT 1 FROM receipts WHERE event_id = :event_id
    AND substr(idempotency_key, 1, length(:by_event)) != :by_event
    AND substr(idempotency_key, 1, length(:by_header)) != :by_header
UNION ALL SELECT 1 FROM event_publishers WHERE event_id = :event_id AND agency != :agency
LIMIT 1
"""
"""Whether another agency's claim or accepted event holds this event id (claim keys name their agency,
handling.py; event_publishers is never pruned)."""
PRUNE_BATCH = 5_000
"""Rows deleted per statement: each batch holds the lock (and SQLite's write lock) only briefly."""


@dataclass(frozen=True)
class Claim:
    """What intake remembers per idempotency key: the event it stands for and whether it is durable."""

    idempotency_key: str
    digest: str
    event_id: str
    state: str
    """"pending" while a request publishes it, "accepted" once the broker acknowledged; "taken" (never
    stored) answers a claim on an event id that another agency's event holds."""
    claimed_at: float


class ClaimRepository(Protocol):
    def claim(self, *, claim: Claim, stale_before: float, agency: str) -> tuple[bool, Claim]: ...
    def confirm(self, *, idempotency_key: str) -> None: ...
    def release(self, *, idempotency_key: str) -> None: ...
    def prune(self, *, older_than: float, stale_before: float | None = None) -> int: ...


class IntakeStore(ClaimRepository, CaseFactRepository, Protocol):
    """Claims and authority facts in one store, so an accepted event's both are written together."""


class SqliteStore:
    """Both repositories on one connection; a lock makes each call atomic across threads."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        if self._db.execute("PRAGMA user_version").fetchone()[0] < 1:
            self._db.executescript(CLAIM_KEYS_BY_AGENCY)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    def add_key(self, *, key: ApiKey) -> None:
        row = (key.key_id, key.key_hash, key.agency.value, key.system, json.dumps(list(key.event_types)))
        with self._lock:
            self._db.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)", (*row, _iso(key.created_at)))

    def find_key(self, *, key_id: str) -> ApiKey | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        return _key(row) if row else None

    def revoke_key(self, *, key_id: str) -> bool:
        now = _iso(datetime.now(UTC))
        with self._lock:
            sql = "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL"
            return self._db.execute(sql, (now, key_id)).rowcount == 1

    def list_keys(self) -> list[ApiKey]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        return [_key(row) for row in rows]

    def claim(self, *, claim: Claim, stale_before: float, agency: str) -> tuple[bool, Claim]:
        """Insert a pending claim, or take over a stale pending one with the same digest (its owner
        died mid-publish); otherwise return what is stored. (True, r): the caller must publish r.
        (False, r) with r.state "taken": no claim of `agency`'s has this key, and another agency's event
        holds the event id, so nothing was stored (event ids stay unique downstream)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                won, stored = self._claim(claim, stale_before, agency)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return won, stored

    def _claim(self, claim: Claim, stale_before: float, agency: str) -> tuple[bool, Claim]:
        r = claim
        row = self._db.execute("SELECT * FROM receipts WHERE idempotency_key = ?", (r.idempotency_key,)).fetchone()
        if row is None:
            mine = {"event_id": r.event_id, "by_event": f"event:{agency}:", "by_header": f"header:{agency}:"}
            if self._db.execute(TAKEN, {**mine, "agency": agency}).fetchone():
                return False, Claim(r.idempotency_key, "", r.event_id, "taken", r.claimed_at)
            self._db.execute("INSERT INTO receipts VALUES (?, ?, ?, 'pending', ?)", _row(r))
            return True, r
        stored = Claim(*row)
        if stored.state == "pending" and stored.claimed_at < stale_before and stored.digest == r.digest:
            update = "UPDATE receipts SET claimed_at = ? WHERE idempotency_key = ?"
            self._db.execute(update, (r.claimed_at, r.idempotency_key))
            return True, Claim(stored.idempotency_key, stored.digest, stored.event_id, "pending", r.claimed_at)
        return False, stored

    def confirm(self, *, idempotency_key: str) -> None:
        with self._lock:
            self._confirm(idempotency_key)

    def _confirm(self, idempotency_key: str) -> None:
        sql = "UPDATE receipts SET state = 'accepted' WHERE idempotency_key = ?"
        self._db.execute(sql, (idempotency_key,))

    def case_facts(self, *, case_id: str, event_ids: list[UUID]) -> CaseFacts:
        with self._lock:
            return read_facts(self._db, case_id, event_ids)

    def accept(self, *, idempotency_key: str | None, accepted: Accepted) -> None:
        """Mark the claim accepted (as `confirm`) and record the authority facts, in one transaction."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if idempotency_key:
                    self._confirm(idempotency_key)
                write_accepted(self._db, accepted)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def release(self, *, idempotency_key: str) -> None:
        """The publish failed: forget the claim, so that a retry can publish."""
        with self._lock:
            sql = "DELETE FROM receipts WHERE idempotency_key = ? AND state = 'pending'"
            self._db.execute(sql, (idempotency_key,))

    def prune(self, *, older_than: float, stale_before: float | None = None, batch: int = PRUNE_BATCH) -> int:
        """Delete claims made before `older_than`; a pending one only if also claimed before
        `stale_before` (default: the same cutoff), since a younger claim may still be publishing.
        Deletes `batch` rows per statement, taking the lock per batch; returns the rows deleted."""
        stale = older_than if stale_before is None else min(older_than, stale_before)
        sql = (
            "DELETE FROM receipts WHERE rowid IN (SELECT rowid FROM receipts WHERE claimed_at < ?"
            " AND (state = 'accepted' OR claimed_at < ?) LIMIT ?)"
        )
        deleted = 0
        while True:
            with self._lock:
                count = self._db.execute(sql, (older_than, stale, batch)).rowcount
            deleted += count
            if count < batch:
                return deleted


def _row(r: Claim) -> tuple[str, str, str, float]:
    return r.idempotency_key, r.digest, r.event_id, r.claimed_at


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def _key(row: tuple[str, ...]) -> ApiKey:
    key_id, key_hash, agency, system, event_types, created_at, revoked_at = row
    revoked = datetime.fromisoformat(revoked_at) if revoked_at else None
    created = datetime.fromisoformat(created_at)
    return ApiKey(key_id, key_hash, Agency(agency), system, tuple(json.loads(event_types)), created, revoked)


def read_facts(db: sqlite3.Connection, case_id: str, event_ids: list[UUID]) -> CaseFacts:
    row = db.execute("SELECT agency, system FROM case_owners WHERE case_id = ?", (case_id,)).fetchone()
    owner = System(Agency(row[0]), row[1]) if row else None
    publishers: dict[UUID, frozenset[Agency]] = {}
    for event_id in event_ids:
        sql = "SELECT agency FROM event_publishers WHERE event_id = ? AND case_id = ?"
        found = frozenset(Agency(agency) for (agency,) in db.execute(sql, (str(event_id), case_id)))
        if found:
            publishers[event_id] = found
    rows = db.execute("SELECT agreement_id, version FROM agreement_versions WHERE case_id = ?", (case_id,))
    return CaseFacts(owner, publishers, {agreement: version for agreement, version in rows})


def write_accepted(db: sqlite3.Connection, done: Accepted) -> None:
    """Call inside a transaction. A repeat of the same event (a retry after a crash) changes nothing."""
    event_id = str(done.event_id)
    sql = "INSERT OR IGNORE INTO event_publishers VALUES (?, ?, ?)"
    db.execute(sql, (event_id, done.case_id, done.publisher.value))
    if done.owner:
        sql = "INSERT OR REPLACE INTO case_owners VALUES (?, ?, ?, ?)"
        db.execute(sql, (done.case_id, done.owner.agency.value, done.owner.system, event_id))
    if done.agreement:
        agreement, version = done.agreement
        sql = (
            "INSERT INTO agreement_versions VALUES (?, ?, ?, ?) ON CONFLICT (case_id, agreement_id)"
            " DO UPDATE SET version = excluded.version, agency = excluded.agency WHERE excluded.version > version"
        )
        db.execute(sql, (done.case_id, agreement, version, done.publisher.value))
