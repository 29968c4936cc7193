"""The SQL behind the authority facts (authority.py): case owners, who published each event id, and the
agreement versions in force. Plain functions on a connection: SqliteStore runs them under its lock, and
writes them in the same transaction that marks the event's claim accepted.

Kept for as long as the case may be followed up, so (unlike claims) never pruned here.
"""

import sqlite3
from uuid import UUID

from services.intake.authority import Accepted, CaseFacts, System
from shared.roles import Agency

SCHEMA = """
CREATE TABLE IF NOT EXISTS case_owners (
    case_id TEXT PRIMARY KEY, agency TEXT NOT NULL, system TEXT NOT NULL, since_event_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS event_publishers (
    event_id TEXT NOT NULL, case_id TEXT NOT NULL, agency TEXT NOT NULL, PRIMARY KEY (event_id, case_id, agency));
CREATE TABLE IF NOT EXISTS agreement_versions (
    case_id TEXT NOT NULL, agreement_id TEXT NOT NULL, version INTEGER NOT NULL, agency TEXT NOT NULL,
    PRIMARY KEY (case_id, agreement_id));
"""


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
