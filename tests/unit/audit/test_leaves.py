"""Leaves are made fast (orjson over the model's own values) but must be byte for byte what the
canonical form of the model dump gives, or a replay of old records would build another tree."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from services.audit.leaves import FILTER_COLUMNS, leaf_of, timestamp
from shared.audit_records import AuditKind, AuditRecord, canonical_json

texts = st.text(max_size=12)  # any code point but surrogates: accents, controls, quotes, U+2028
optional = st.none() | texts
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
moments = st.datetimes(  # years 1 and 9999 may not move to UTC: ingest skips such records (test_audit_consumer)
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.builds(timezone, offsets) | st.just(UTC)
)
records = st.builds(
    AuditRecord,
    record_id=st.uuids(),
    kind=st.sampled_from(AuditKind),
    recorded_at=moments,
    service=texts,
    case_id=optional,
    event_id=st.none() | st.uuids(),
    event_type=optional,
    correlation_id=optional,
    source_agency=optional,
    recipient_id=optional,
    recipient_role=optional,
    recipient_agency=optional,
    rule=optional,
    field_digests=st.dictionaries(texts, texts, max_size=4),
    fields_withheld=st.lists(texts, max_size=3),
    outcome=optional,
    actor=optional,
    query=st.dictionaries(texts, texts, max_size=3),
    agreement=optional,
)


def reference_text(record: AuditRecord) -> bytes:
    """The canonical form the ledger has always hashed: the model's JSON dump, sorted, compact, UTF-8."""
    return canonical_json(record.model_dump(mode="json"))


def reference_columns(record: AuditRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    columns = {name: None if data[name] is None else str(data[name]) for name in FILTER_COLUMNS}
    moment = record.recorded_at.astimezone(UTC).replace(tzinfo=None)
    unsigned = {"signer": None, "signature": None}  # leaf_of without a signature, as here
    return {**columns, "recorded_at": moment.isoformat(timespec="microseconds") + "Z", **unsigned}


@settings(max_examples=400)
@given(records)
def test_leaf_bytes_and_columns_equal_the_canonical_dump_of_the_same_record(record: AuditRecord) -> None:
    for same in (record, AuditRecord.model_validate_json(record.model_dump_json())):  # as made, as consumed
        leaf = leaf_of(same)
        assert leaf.text.encode() == reference_text(same)
        assert leaf.text.encode() == orjson.dumps(same.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        assert leaf.columns == reference_columns(same) and leaf.dedupe_key == str(same.record_id)


def test_a_known_record_gives_known_bytes() -> None:
    record = AuditRecord(
        record_id=UUID("0B7E2D5A-1C3F-4E8D-9A6B-2F4C8E1D3A5B"),
        kind=AuditKind.SHARING_DECIDED,
        recorded_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        service="router",
        case_id='Zoë "Ω"\n',
        field_digests={"b": "2", "a": "1"},
    )
    leaf = leaf_of(record)
    assert leaf.text.startswith('{"actor":null,"agreement":null,"case_id":"Zoë \\"Ω\\"\\n","correlation_id":null,')
    assert '"field_digests":{"a":"1","b":"2"}' in leaf.text and '"kind":"sharing.decided"' in leaf.text
    assert '"record_id":"0b7e2d5a-1c3f-4e8d-9a6b-2f4c8e1d3a5b","recorded_at":"2026-03-01T09:30:00Z"' in leaf.text
    assert leaf.columns["recorded_at"] == "2026-03-01T09:30:00.000000Z" and leaf.columns["kind"] == "sharing.decided"


@given(moments)
def test_timestamp_is_the_fixed_width_utc_form(moment: datetime) -> None:
    expected = moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    assert timestamp(moment) == expected and len(expected) == 27
