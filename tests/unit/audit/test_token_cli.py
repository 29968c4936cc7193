"""`audit tokens issue | list | revoke` against a real ledger file named by the environment."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.audit import cli
from services.audit.bootstrap import AuditSettings, open_ledger
from services.audit.tokens import Grant, holder


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditSettings:
    monkeypatch.setenv("DRR_AUDIT_DB_PATH", str(tmp_path / "db" / "audit.sqlite3"))
    monkeypatch.setenv("DRR_AUDIT_SIGNING_KEY_PATH", str(tmp_path / "keys" / "signing.pem"))
    monkeypatch.delenv("DRR_AUDIT_DATABASE_URL", raising=False)
    return AuditSettings()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def lifetime(grant: Grant) -> timedelta:
    return datetime.fromisoformat(grant.expires_at) - datetime.fromisoformat(grant.issued_at)


def grant_of(settings: AuditSettings, token: str) -> Grant:
    ledger = open_ledger(settings)
    try:
        grant = holder(ledger, f"Bearer {token}")
    finally:
        ledger.close()
    assert grant is not None
    return grant


def test_issue_with_days_and_agencies(settings: AuditSettings, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["tokens", "issue", "--name", "HMIP", "--days", "7", "--agency", "prison",
                            "--agency", "police"], capsys)  # fmt: skip
    grant = grant_of(settings, out.strip())
    assert status == 0 and out.strip().startswith("drr_ovs_") and out.count("\n") == 1  # only the token
    assert grant.scope == ("police", "prison") and grant.id in err and grant.expires_at in err
    assert lifetime(grant) == timedelta(days=7)


def test_issue_defaults_to_90_days_and_every_case(settings: AuditSettings, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["tokens", "issue", "--name", "ICO"], capsys)
    grant = grant_of(settings, out.strip())
    assert status == 0 and grant.scope is None and lifetime(grant) == timedelta(days=90)


@pytest.mark.parametrize(
    "argv",
    [["--days", "0"], ["--days", "366"], ["--days", "many"], ["--agency", "mi5"], ["--name", ""], ["--name", "a\tb"]],
)
def test_issue_refuses_what_it_cannot_honour(
    settings: AuditSettings, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["tokens", "issue", *(argv if argv[0] == "--name" else ["--name", "ICO", *argv])])
    assert stopped.value.code == 2 and not capsys.readouterr().out


def test_list_shows_everything_but_the_token_and_revoke_by_id_or_name(
    settings: AuditSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = [run(["tokens", "issue", "--name", name], capsys)[1].strip() for name in ("ICO", "HMIP", "HMIP")]
    ids = [Grant.id_of(token) for token in tokens]
    status, out, _ = run(["tokens", "revoke", "--id", ids[0]], capsys)
    assert status == 0 and out == f"revoked {ids[0]} (ICO)\n"
    status, out, _ = run(["tokens", "revoke", "--name", "HMIP"], capsys)
    assert status == 0 and out == f"revoked {ids[1]} (HMIP)\nrevoked {ids[2]} (HMIP)\n"
    status, _, err = run(["tokens", "revoke", "--name", "HMIP"], capsys)
    assert status == 1 and "no unrevoked token" in err
    status, out, _ = run(["tokens", "list"], capsys)
    lines = [line.split("\t") for line in out.splitlines()]
    assert lines[0] == ["id", "name", "scope", "issued", "expires", "revoked"]
    assert {row[0] for row in lines[1:]} == set(ids) and all(row[2] == "all cases" for row in lines[1:])
    assert all(row[5] != "-" for row in lines[1:]) and not any(token in out for token in tokens)
    assert grant_of(settings, tokens[0]).refusal(datetime.now(UTC)) == "token_revoked"


def test_revoke_needs_an_id_or_a_name(settings: AuditSettings) -> None:
    with pytest.raises(SystemExit):
        cli.main(["tokens", "revoke"])
    with pytest.raises(SystemExit):
        cli.main(["tokens", "revoke", "--id", "x", "--name", "y"])
