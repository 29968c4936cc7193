"""DRR_ENV=production refuses weak configuration, naming the setting at fault; NAME_FILE gives a secret
from a file. Settings are built from the environment as each service builds them."""

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from deploy.local.tls import LocalTls
from services.audit.bootstrap import AuditSettings
from services.intake.bootstrap import IntakeSettings
from services.notifier.bootstrap import NotifierSettings
from services.router.bootstrap import RouterSettings
from shared.settings import AdminSettings, ServiceSettings, read_settings

GOOD_PASSWORD = "p" * 64
KMS_KEY = "gcp-kms://projects/drr/locations/europe-west2/keyRings/drr/cryptoKeys/kek"
SERVICES: dict[str, type[ServiceSettings]] = {
    "intake": IntakeSettings, "router": RouterSettings, "notifier": NotifierSettings, "audit": AuditSettings,
}  # fmt: skip


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A production configuration every service accepts; tests spoil one setting at a time."""
    for name in list(os.environ):
        if name.upper().startswith("DRR_"):
            monkeypatch.delenv(name)
    key = tmp_path / "audit-key.pem"
    key.write_text("not read by the checks")
    key.chmod(0o600)
    ca = LocalTls(tmp_path / "tls").ensure().ca_file
    env = {"DRR_ENV": "production", "DRR_KAFKA_CA_FILE": str(ca), "DRR_AUDIT_SIGNING_KEY_PATH": str(key),
           "DRR_NOTIFIER_ACK_SECRET": "a" * 48, "DRR_NOTIFIER_SMTP_STARTTLS": "true",
           "DRR_INTAKE_KEK_URI": KMS_KEY, "DRR_NOTIFIER_KEK_URI": KMS_KEY}  # fmt: skip
    for service in SERVICES:
        prefix = f"DRR_{service.upper()}_KAFKA"
        env |= {f"{prefix}_USERNAME": service, f"{prefix}_PASSWORD": GOOD_PASSWORD}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_complete_production_configuration_is_accepted(environment: dict[str, str], service: str) -> None:
    settings = SERVICES[service]()
    assert settings.kafka_access().client_options()["security_protocol"] == "SASL_SSL"


SPOILED: list[tuple[str, str, str | None, str]] = [
    ("intake", "DRR_INTAKE_KAFKA_USERNAME", None, "DRR_INTAKE_KAFKA_USERNAME"),
    ("router", "DRR_ROUTER_KAFKA_PASSWORD", "short", "DRR_ROUTER_KAFKA_PASSWORD is shorter than 32"),
    ("audit", "DRR_KAFKA_CA_FILE", "/nonexistent/ca.pem", "DRR_KAFKA_CA_FILE"),
    ("notifier", "DRR_NOTIFIER_ACK_SECRET", None, "DRR_NOTIFIER_ACK_SECRET is not set"),
    ("notifier", "DRR_NOTIFIER_ACK_SECRET", "change-me-local-only", "DRR_NOTIFIER_ACK_SECRET is a published default"),
    ("notifier", "DRR_NOTIFIER_ACK_SECRET", "x" * 31, "DRR_NOTIFIER_ACK_SECRET is shorter than 32"),
    ("notifier", "DRR_NOTIFIER_SMTP_STARTTLS", "false", "SMTP is not TLS"),
    ("notifier", "DRR_NOTIFIER_SMTP_VALIDATE_CERTS", "false", "DRR_NOTIFIER_SMTP_VALIDATE_CERTS"),
    ("notifier", "DRR_NOTIFIER_CLOCK_OFFSET_S", "3600", "DRR_NOTIFIER_CLOCK_OFFSET_S"),
    ("audit", "DRR_AUDIT_SIGNING_KEY_PATH", "/nonexistent/key.pem", "DRR_AUDIT_SIGNING_KEY_PATH"),
    ("intake", "DRR_INTAKE_SEAL_FIELDS", "false", "sensitive fields would be published in clear"),
    ("intake", "DRR_INTAKE_KEK_URI", "var/keys/intake/kek.json", "DRR_INTAKE_KEK_URI: a key-encryption key in a file"),
    ("notifier", "DRR_NOTIFIER_KEK_URI", "kek.json", "DRR_NOTIFIER_KEK_URI: a key-encryption key in a file"),
]


@pytest.mark.parametrize(("service", "variable", "value", "message"), SPOILED)
def test_production_refuses_and_names_the_setting(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch,
    service: str, variable: str, value: str | None, message: str,
) -> None:  # fmt: skip
    if value is None:
        monkeypatch.delenv(variable)
        if variable.endswith("_USERNAME"):
            monkeypatch.delenv(variable.replace("_USERNAME", "_PASSWORD"))
    else:
        monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=message):
        SERVICES[service]()
    monkeypatch.setenv("DRR_ENV", "development")
    SERVICES[service]()  # the same configuration starts outside production


def test_an_audit_key_readable_by_others_is_refused(environment: dict[str, str]) -> None:
    Path(environment["DRR_AUDIT_SIGNING_KEY_PATH"]).chmod(0o644)
    with pytest.raises(ValidationError, match="readable by others"):
        AuditSettings()


def test_a_secret_comes_from_the_file_its_FILE_variable_names(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "ack"
    secret.write_text("k" * 40 + "\n")
    monkeypatch.delenv("DRR_NOTIFIER_ACK_SECRET")
    monkeypatch.setenv("DRR_NOTIFIER_ACK_SECRET_FILE", str(secret))
    assert NotifierSettings().ack_key() == b"k" * 40
    monkeypatch.setenv("DRR_NOTIFIER_ACK_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="DRR_NOTIFIER_ACK_SECRET_FILE: cannot read"):
        NotifierSettings()


def test_read_settings_exits_with_the_problems_not_a_traceback(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DRR_NOTIFIER_ACK_SECRET")
    with pytest.raises(SystemExit) as exited:
        read_settings(NotifierSettings)
    assert exited.value.code == 2
    assert "    DRR_NOTIFIER_ACK_SECRET is not set\n" in capsys.readouterr().err


def test_outside_production_an_unset_ack_secret_is_random_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRR_NOTIFIER_ACK_SECRET", raising=False)
    monkeypatch.setenv("DRR_ENV", "development")
    first, second = NotifierSettings().ack_key(), NotifierSettings().ack_key()
    assert first != second and len(first) >= 32


def test_username_and_password_go_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRR_ROUTER_KAFKA_USERNAME", "router")
    monkeypatch.delenv("DRR_ROUTER_KAFKA_PASSWORD", raising=False)
    with pytest.raises(ValidationError, match="go together"):
        RouterSettings()


def test_operator_commands_take_the_local_admin_from_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("DRR_"):
            monkeypatch.delenv(name)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "kafka-admin.password").write_text("admin-password\n")
    (tmp_path / "secrets" / "kafka-ca.pem").write_text("-")
    monkeypatch.setenv("DRR_VAR_DIR", str(tmp_path))
    access = AdminSettings().kafka_access()
    expected = ("admin", "admin-password", tmp_path / "secrets" / "kafka-ca.pem")
    assert (access.username, access.password, access.ca_file) == expected
    monkeypatch.setenv("DRR_ENV", "production")  # never in production: there it is configured, or refused
    with pytest.raises(ValidationError, match="DRR_ADMIN_KAFKA_USERNAME"):
        AdminSettings()
