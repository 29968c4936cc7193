"""`policy check` and `policy explain`, run as a policy author would."""

import json
from pathlib import Path

import pytest
from policy_cases import agreement, event, member

from shared.policy import DEFAULT_POLICY
from shared.policy.cli import main
from shared.roles import Role


def test_check_validates_and_lists_the_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(DEFAULT_POLICY)]) == 0
    out = capsys.readouterr().out
    assert "valid (10 rules, sha256:" in out
    assert "  community        alerts.paused" in out and "case_manager     alerts.paused" not in out  # by design
    lean = tmp_path / "lean.yaml"
    lean.write_text(DEFAULT_POLICY.read_text().replace('roles: "*"', "roles: [case_manager]", 1))
    assert main(["check", str(lean)]) == 0
    out = capsys.readouterr().out
    assert "  community        case.closed" in out and "case_manager     case.closed" not in out


def test_check_refuses_a_bad_file_naming_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_POLICY.read_text().replace("roles: [police]", "roles: [polis]"))
    assert main(["check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:" in err and "rule intelligence-to-police" in err and "polis" in err


def test_explain_says_per_recipient_what_they_get_and_which_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event_file, team_file, state_file = tmp_path / "e.json", tmp_path / "t.json", tmp_path / "s.json"
    event_file.write_text(event("trigger.reported").model_dump_json())
    team = [member(r).model_dump(mode="json") for r in (Role.CASE_MANAGER, Role.COMMUNITY)]
    team_file.write_text(json.dumps(team))
    state_file.write_text(json.dumps({"agreements": {"DRR-CLINICAL-ISA": agreement().model_dump(mode="json")}}))
    assert main(["explain", "--event", str(event_file), "--team", str(team_file), "--state", str(state_file)]) == 0
    out = capsys.readouterr().out
    manager, community = out.split("p-community")
    assert "clinical-to-case-manager-under-agreement" in manager and "DRR-CLINICAL-ISA@2" in manager
    assert "gets: trigger_type, severity, observed_at\n" in community
    assert "description (denied), clinical_notes (denied)" in community
    assert "rule: operational-to-team" in community
