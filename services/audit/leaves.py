"""Leaves: one per fact, the canonical JSON of an AuditRecord, stored exactly as hashed.

Beside the leaf text the store keeps a few of its fields as columns, so that oversight queries can
filter without parsing JSON; the leaf text stays the only thing the tree commits to.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from services.audit.scopes import in_scope
from shared.audit_records import AuditRecord, canonical_text


@dataclass(frozen=True, slots=True)
class Leaf:
    dedupe_key: str
    """Stable per fact (the record id; a sharing decision's includes its recipient)."""
    text: str
    """The canonical JSON that is hashed, byte for byte (UTF-8)."""
    values: tuple[str | None, ...]
    """The COLUMNS' values, in that order: made once, while parsing, so the writer only binds them."""

    @property
    def columns(self) -> dict[str, str | None]:
        return dict(zip(COLUMNS, self.values, strict=True))


@dataclass(frozen=True)
class StoredLeaf:
    index: int
    text: str
    signer: str | None = None
    signature: str | None = None


TEXT_FIELDS = (
    "case_id", "event_type", "correlation_id", "source_agency", "recipient_id", "recipient_role",
    "recipient_agency", "outcome",
)  # fmt: skip
"""The record's `str | None` fields kept as columns (stored as they are)."""
FILTER_COLUMNS = ("kind", "event_id", *TEXT_FIELDS)
COLUMNS = (*FILTER_COLUMNS, "recorded_at", "signer", "signature")
"""Kept beside the leaf as columns: its fields that oversight filters by, and its producer's signature
(who signed the leaf's exact bytes, and the base64 Ed25519 signature), which the verifier checks."""
ZERO = timedelta(0)
_text_fields = itemgetter(*TEXT_FIELDS)


def timestamp(moment: datetime) -> str:
    """A fixed-width UTC form, so that text order is time order in every database."""
    if moment.utcoffset() == ZERO:  # the usual case, three times faster: `...HH:MM:SS.ffffff` of `...+00:00`
        return moment.isoformat(timespec="microseconds")[:26] + "Z"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def leaf_of(record: AuditRecord, signer: str | None = None, signature: str | None = None) -> Leaf:
    """The record's leaf; admission.py passes its producer's signature (a leaf built without one, as tests
    and the benchmark's bulk builds do, carries none, and the verifier given the signers refuses it)."""
    event_id = None if record.event_id is None else str(record.event_id)
    texts = _text_fields(record.__dict__)
    values = (record.kind.value, event_id, *texts, timestamp(record.recorded_at), signer, signature)
    return Leaf(str(record.record_id), canonical_text(record), values)


@dataclass(frozen=True)
class EntryFilter:
    """What an oversight query may narrow by; None means any. Agency matches source or recipient;
    `scope` (a scoped token's agencies) keeps only the leaves of those agencies' cases (scopes.py)."""

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
    scope: tuple[str, ...] | None = None

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
        if self.scope is not None:
            condition, scoped = in_scope(self.scope)
            clauses.append(condition)
            params.update(scoped)
        return " AND ".join(clauses) or "1 = 1", params
