"""Leaves: one per fact, the canonical JSON of an AuditRecord, stored exactly as hashed.

Beside the leaf text the store keeps a few of its fields as columns, so that oversight queries can
filter without parsing JSON; the leaf text stays the only thing the tree commits to.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from shared.audit_records import AuditRecord


@dataclass(frozen=True)
class Leaf:
    dedupe_key: str
    """Stable per fact (the record id; a sharing decision's includes its recipient)."""
    text: str
    """The canonical JSON that is hashed, byte for byte (UTF-8)."""
    columns: dict[str, str | None]


@dataclass(frozen=True)
class StoredLeaf:
    index: int
    text: str


FILTER_COLUMNS = (
    "kind", "case_id", "event_id", "event_type", "correlation_id", "source_agency",
    "recipient_id", "recipient_role", "recipient_agency", "outcome",
)  # fmt: skip


def timestamp(moment: datetime) -> str:
    """A fixed-width UTC form, so that text order is time order in every database."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def leaf_of(record: AuditRecord) -> Leaf:
    data = record.model_dump(mode="json")
    columns = {name: None if data[name] is None else str(data[name]) for name in FILTER_COLUMNS}
    columns["recorded_at"] = timestamp(record.recorded_at)
    # orjson writes the same bytes as canonical_json (sorted keys, no whitespace, UTF-8), several times faster.
    return Leaf(str(record.record_id), orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode(), columns)


@dataclass(frozen=True)
class EntryFilter:
    """What an oversight query may narrow by; None means any. Agency matches source or recipient."""

    case_id: str | None = None
    agency: str | None = None
    role: str | None = None
    recipient: str | None = None
    event_type: str | None = None
    decision: str | None = None
    correlation_id: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, dict[str, str]]:
        """An SQL condition with named parameters (`:name`), and the parameters."""
        equal = {"case_id": self.case_id, "recipient_role": self.role, "recipient_id": self.recipient,
                 "event_type": self.event_type, "outcome": self.decision, "correlation_id": self.correlation_id,
                 "kind": self.kind}  # fmt: skip
        params = {name: value for name, value in equal.items() if value is not None}
        clauses = [f"{name} = :{name}" for name in params]
        if self.agency is not None:
            clauses.append("(source_agency = :agency OR recipient_agency = :agency)")
            params["agency"] = self.agency
        for name, moment, op in (("since", self.since, ">="), ("until", self.until, "<")):
            if moment is not None:
                clauses.append(f"recorded_at {op} :{name}")
                params[name] = timestamp(moment)
        return " AND ".join(clauses) or "1 = 1", params
