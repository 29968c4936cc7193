"""`audit completeness` and `audit redrive` without a broker: what they print, and what they refuse."""

from pathlib import Path
from uuid import uuid4

import pytest

from services.audit import cli
from services.audit.bootstrap import AuditSettings, open_ledger
from services.audit.completeness.redrive import matches, partition_for
from services.audit.completeness.rules import Windows
from services.audit.completeness.watch import CompletenessWatch
from services.audit.leaves import leaf_of
from shared.audit_records import AuditKind, AuditRecord


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditSettings:
    monkeypatch.setenv("DRR_AUDIT_DB_PATH", str(tmp_path / "audit.sqlite3"))
    monkeypatch.setenv("DRR_KAFKA_BOOTSTRAP", "127.0.0.1:1")  # nothing listens: no command may need Kafka here
    monkeypatch.delenv("DRR_AUDIT_DATABASE_URL", raising=False)
    return AuditSettings()


class Nowhere:
    async def record(self, *, record: AuditRecord) -> None:
        raise AssertionError("nothing is published here")


def test_completeness_prints_each_open_alarm_by_its_ids(
    settings: AuditSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    ledger = open_ledger(settings)
    event, other = uuid4(), uuid4()
    received = {"kind": AuditKind.EVENT_RECEIVED, "event_id": event}
    shared = {"kind": AuditKind.SHARING_DECIDED, "event_id": other, "recipient_id": "p-3", "outcome": "shared"}
    records = [AuditRecord.model_validate({"record_id": uuid4(), "service": "t", "case_id": "C-7", **fields})
               for fields in (received, shared)]  # fmt: skip
    ledger.append_sized(
        [leaf_of(r) for r in records], None, CompletenessWatch(ledger.waits, Nowhere(), Windows()).track
    )
    ledger.waits.mark([a.ref for a in ledger.waits.due("9999")], "alarmed_at", "2026-12-02T09:00:00.000000Z")
    ledger.close()
    assert cli.main(["completeness"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert any(line.startswith(f"undecided event {event} case C-7 due ") for line in lines)
    assert any(line.startswith(f"unfinished delivery {other} to p-3 case C-7 due ") for line in lines)
    assert lines[-1] == "1 undecided events, 1 unfinished deliveries"


def test_redrive_refuses_an_event_intake_never_accepted(
    settings: AuditSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["redrive", str(uuid4()), "--by", "Ops Duty"]) == 1
    assert "no event.received" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["redrive", "not-a-uuid", "--by", "x"],
        ["redrive", str(uuid4())],
        ["redrive", str(uuid4()), "--by", " "],
        ["redrive", str(uuid4()), "--by", "a\nb"],
    ],
)
def test_redrive_needs_an_event_id_and_who_asks(settings: AuditSettings, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        cli.main(argv)
    assert refused.value.code == 2


def test_the_partition_is_the_producers_and_only_the_event_s_own_message_matches() -> None:
    assert partition_for("C-2026-0042", 4) == partition_for("C-2026-0042", 4) in range(4)
    assert len({partition_for(f"C-{n}", 4) for n in range(40)}) == 4
    event = str(uuid4())
    assert matches(f'{{"event_id": "{event}"}}'.encode(), event)
    assert not matches(b'{"event_id": "other"}', event) and not matches(b"[1]", event) and not matches(b"junk", event)
