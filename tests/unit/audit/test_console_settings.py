"""The console's settings: off without an issuer; in production, once on, https and strong secrets or no start
(as the portal's); the audit service reads them from DRR_AUDIT_CONSOLE_* (secrets also as *_FILE)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.audit.console.settings import ConsoleSettings

STRONG = "s" * 48
GOOD = {"issuer_url": "https://login.example.org/realms/drr", "public_url": "https://audit.example.org",
        "client_secret": STRONG, "session_secret": STRONG}  # fmt: skip


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DRR_ENV", "DRR_AUDIT_CONSOLE_ISSUER_URL", "DRR_AUDIT_CONSOLE_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_without_an_issuer_the_console_is_off_even_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRR_ENV", "production")
    assert not ConsoleSettings().enabled


def test_its_own_client_and_the_audit_services_address_by_default() -> None:
    settings = ConsoleSettings(issuer_url="http://127.0.0.1:8180/realms/drr/")
    assert settings.enabled and settings.client_id == "drr-oversight" and settings.issuer_url.endswith("/drr")
    assert settings.redirect_uri == "http://127.0.0.1:8004/auth/callback" and not settings.https


@pytest.mark.parametrize(
    ("spoiled", "problem"),
    [({"public_url": "http://audit.example.org"}, "DRR_AUDIT_CONSOLE_PUBLIC_URL: plain http://"),
     ({"issuer_url": "http://login.example.org/realms/drr"}, "DRR_AUDIT_CONSOLE_ISSUER_URL: plain http://"),
     ({"session_secret": None}, "DRR_AUDIT_CONSOLE_SESSION_SECRET is not set"),
     ({"client_secret": "short"}, "DRR_AUDIT_CONSOLE_CLIENT_SECRET is shorter than 32")],
)  # fmt: skip
def test_production_refuses_a_console_without_https_or_strong_secrets(
    monkeypatch: pytest.MonkeyPatch, spoiled: dict[str, str | None], problem: str
) -> None:
    monkeypatch.setenv("DRR_ENV", "production")
    assert ConsoleSettings(**GOOD).enabled
    with pytest.raises(ValidationError, match=problem):
        ConsoleSettings(**{**GOOD, **spoiled})


def test_settings_come_from_the_environment_and_secrets_from_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "client.secret"
    secret.write_text(STRONG + "\n")
    monkeypatch.setenv("DRR_AUDIT_CONSOLE_ISSUER_URL", "https://login.example.org/realms/drr")
    monkeypatch.setenv("DRR_AUDIT_CONSOLE_CLIENT_SECRET_FILE", str(secret))
    settings = ConsoleSettings()
    assert settings.enabled and settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == STRONG
