"""Keys and permissions as data: the default table, the `intake keys` CLI, keys stored only hashed."""

import sqlite3
from pathlib import Path

import pytest

from services.intake.access import DEFAULT_PERMISSIONS, allows, check_patterns, check_table
from services.intake.cli import run
from services.intake.store import SqliteStore
from shared.roles import Agency


def test_the_default_table_covers_every_agency_with_real_event_types() -> None:
    check_table()


def test_a_table_missing_an_agency_or_naming_no_event_type_is_refused() -> None:
    with pytest.raises(ValueError, match="no default permissions"):
        check_table({Agency.PRISON: ("release.*",)})
    with pytest.raises(ValueError, match="matches no event type"):
        check_patterns(("release.sheduled",))


@pytest.mark.parametrize(
    ("agency", "event_type", "allowed"),
    [
        (Agency.PRISON, "release.rescheduled", True),
        (Agency.PROBATION, "release.scheduled", False),
        (Agency.PANEL, "panel.decision", True),
        (Agency.PANEL, "trigger.reported", False),
        (Agency.POLICE, "trigger.reported", True),
        (Agency.POLICE, "panel.decision", False),
        (Agency.PROBATION, "team.member_left", True),
        (Agency.MENTAL_HEALTH, "case_manager.assigned", False),
    ],
)
def test_lanes(agency: Agency, event_type: str, allowed: bool) -> None:
    assert allows(DEFAULT_PERMISSIONS[agency], event_type) is allowed


def test_issue_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "keys.sqlite3"
    assert run(["--db", str(db), "keys", "issue", "--agency", "prison", "--system", "nomis"]) == 0
    out = capsys.readouterr().out.splitlines()
    key_id, key = out[0].removeprefix("key id: "), out[-1]
    assert key.startswith(f"drr_{key_id}_") and "release.*" in out[1]
    with sqlite3.connect(db) as raw:  # only the hash is stored
        assert key not in str(raw.execute("SELECT * FROM api_keys").fetchall())
    assert run(["--db", str(db), "keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "active" in listed and key not in listed
    assert run(["--db", str(db), "keys", "revoke", key_id]) == 0
    assert run(["--db", str(db), "keys", "revoke", key_id]) == 1
    store = SqliteStore(db)
    [stored] = store.list_keys()
    store.close()
    assert stored.revoked


def test_issue_with_narrower_or_unknown_event_types(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ["--db", str(tmp_path / "keys.sqlite3"), "keys", "issue", "--agency", "police", "--system", "pnd"]
    assert run([*db, "--event-types", "trigger.reported"]) == 0
    assert "event types: trigger.reported\n" in capsys.readouterr().out
    assert run([*db, "--event-types", "trigger.reportd"]) == 2
