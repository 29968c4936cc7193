"""PortalSettings: localhost defaults, the redirect URI made from public_url, secrets as *_FILE, and
what DRR_ENV=production refuses (a missing or weak session or client secret, plain http off loopback)."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from services.portal.bootstrap import PortalSettings

STRONG = "s" * 40
KAFKA = {"kafka_username": "portal", "kafka_password": "k" * 40}
KMS_KEK = "gcp-kms://projects/p/locations/l/keyRings/r/cryptoKeys/portal"


def production(monkeypatch: pytest.MonkeyPatch, **values: str) -> PortalSettings:
    monkeypatch.setenv("DRR_ENV", "production")
    base = {"session_secret": STRONG, "client_secret": STRONG, "kek_uri": KMS_KEK, **KAFKA}
    base.update(public_url="https://portal.example.org", issuer_url="https://id.example.org/realms/drr")
    return PortalSettings(**{**base, **values})


def test_defaults_are_local_and_the_redirect_uri_follows_public_url(monkeypatch):
    monkeypatch.delenv("DRR_ENV", raising=False)
    settings = PortalSettings()
    assert (settings.host, settings.port, settings.session_max_age_s) == ("127.0.0.1", 8005, 8 * 3600)
    assert settings.redirect_uri == "http://127.0.0.1:8005/auth/callback" and not settings.https
    assert PortalSettings(public_url="https://portal.example.org/").redirect_uri == (
        "https://portal.example.org/auth/callback"
    )


def test_settings_come_from_drr_portal_variables_and_secrets_from_files(monkeypatch, tmp_path: Path):
    secret = tmp_path / "portal-client.secret"
    secret.write_text(STRONG + "\n")
    monkeypatch.setenv("DRR_PORTAL_CLIENT_SECRET_FILE", str(secret))
    monkeypatch.setenv("DRR_PORTAL_ISSUER_URL", "https://id.example.org/realms/drr/")
    settings = PortalSettings()
    assert settings.client_secret is not None and settings.client_secret.get_secret_value() == STRONG
    assert settings.issuer_url == "https://id.example.org/realms/drr"


def test_production_starts_with_strong_secrets_and_https(monkeypatch):
    assert production(monkeypatch).https


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"session_secret": "short"}, "DRR_PORTAL_SESSION_SECRET is shorter than 32"),
        ({"client_secret": "short"}, "DRR_PORTAL_CLIENT_SECRET is shorter than 32"),
        ({"public_url": "http://portal.example.org"}, "DRR_PORTAL_PUBLIC_URL: plain http://"),
        ({"public_url": "http://10.0.0.5:8005"}, "DRR_PORTAL_PUBLIC_URL: plain http://"),
        ({"issuer_url": "http://id.example.org/realms/drr"}, "DRR_PORTAL_ISSUER_URL: plain http://"),
        ({"kek_uri": "var/keys/portal/kek.json"}, "DRR_PORTAL_KEK_URI: a key-encryption key in a file"),
    ],
)
def test_production_refuses_weak_configuration(monkeypatch, values, problem):
    with pytest.raises(ValidationError, match=problem):
        production(monkeypatch, **values)


def test_production_refuses_a_missing_session_secret(monkeypatch):
    monkeypatch.setenv("DRR_ENV", "production")
    with pytest.raises(ValidationError, match="DRR_PORTAL_SESSION_SECRET is not set"):
        PortalSettings(client_secret=STRONG, public_url="https://portal.example.org", **KAFKA)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8005", "http://localhost:8005", "http://[::1]:8005"])
def test_production_allows_plain_http_on_loopback_behind_a_local_proxy(monkeypatch, url):
    assert production(monkeypatch, public_url=url).public_url == url
