"""Notifier settings, read once at start-up (env prefix DRR_NOTIFIER_), and the mailer they describe."""

import secrets
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from services.notifier.email import Mailer, SmtpMailer, TestModeMailer
from shared.faust_app import FaustSettings
from shared.i18n import ReaderDefaults
from shared.roles import Agency
from shared.settings import kek_in_a_file, weak_secret

HERE = Path(__file__).resolve().parent
PUBLISHED_ACK_SECRETS = ("change-me-local-only",)
"""Values this setting once defaulted to: anyone could forge links with them."""


class NotifierSettings(FaustSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_NOTIFIER_", extra="ignore")

    record_key_path: Path = Path("var/keys/notifier/records.pem")
    """The Ed25519 key this service signs its audit records with (its public key is in the audit service's
    DRR_AUDIT_RECORD_SIGNERS)."""
    digest_key_path: Path = Path("var/keys/notifier/field-digests.key")
    """The key of the field digests in audit records, shared by the producing services, never the audit service."""
    kek_uri: str = "var/keys/notifier/kek.json"
    """The key-encryption key that unwraps each case's data key, to open sealed fields just before an email
    is rendered and to seal acknowledgement comments: a Tink keyset file locally (mode 0600), a KMS key URI
    in production (shared/case_crypto.py)."""
    port: int = 8003
    state_dir: Path = Path("var/state/notifier")
    public_url: str = "http://127.0.0.1:8003"
    """Where acknowledgement links point (the notifier's own web server, as people reach it)."""
    delivery_mode: Literal["smtp", "test"] = "smtp"
    """`test` renders, records (audit, metrics, ledger) and sends nothing, like Notify's test keys."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_timeout_s: float = Field(10.0, gt=0)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    """Off by default because the local mail sink speaks plain SMTP; turn on for any real server."""
    smtp_implicit_tls: bool = False
    """TLS from the first byte (port 465 style), instead of upgrading with STARTTLS."""
    smtp_validate_certs: bool = True
    sender: str = "drr-notify@localhost"
    smtp_connections: int = Field(4, ge=1)
    """SMTP sessions kept open and reused."""
    in_flight: int = Field(32, ge=1)
    """Deliveries under way at once, one per case, acknowledged in the order they came (in_order.py):
    while one waits on the broker or the SMTP server, others are rendered and sent. 1: one at a time."""
    max_attempts: int = Field(100, ge=1)
    retry_base_s: float = Field(0.5, ge=0)
    """The first retry waits about this long; each later one about twice the one before."""
    retry_max_delay_s: float = Field(30.0, gt=0)
    retry_max_age_s: float = Field(3600.0, gt=0)
    """A delivery still failing this long after it was first tried is dead-lettered."""
    ack_secret: SecretStr | None = None
    """Signs acknowledgement links (HMAC-SHA256): at least 32 random characters (`make run` makes one in
    var/secrets/notifier-ack-key). Unset outside production: a random key for this process only, so
    links stop working when the notifier restarts."""
    ack_ttl_s: float = Field(7 * 86400.0, gt=0)
    """How long an acknowledgement link works."""
    policy_path: Path = HERE / "policy.yaml"
    """Priorities, escalation chains, compliance windows and reminder offsets, as data."""
    templates_dir: Path = HERE / "email" / "templates"
    languages: dict[Agency, str] = {}
    """The email language of each agency's practitioners whose team event names none, e.g.
    '{"police": "fr"}' (one of en, fr, nl, sv, da, de); then English. A practitioner's own `language` wins."""
    time_zones: dict[Agency, str] = {}
    """Likewise the IANA time zone dates are shown in, e.g. '{"police": "Europe/Paris"}'; then UTC."""
    escalation_unit_s: float = Field(60.0, gt=0)
    """Seconds in one of policy.yaml's escalation minutes (tests set 1 to run minutes as seconds)."""
    escalation_sweep_s: float = Field(5.0, gt=0)
    """How often pending escalations are checked against the clock."""
    clock_offset_s: float = 0.0
    """Moves the notifier's clock (every schedule, link expiry, retry age) by this many seconds; for
    end-to-end tests and drills only, never in production."""

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Self:
        if self.smtp_starttls and self.smtp_implicit_tls:
            raise ValueError("choose STARTTLS or implicit TLS, not both")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("SMTP authentication needs both a username and a password")
        self.readers()
        if self.ack_secret is None and self.env != "production":
            self.ack_secret = SecretStr(secrets.token_urlsafe(48))
        return self

    def readers(self) -> ReaderDefaults:
        """The per-agency defaults, checked: a language not served or an unknown zone fails start-up."""
        return ReaderDefaults(languages=dict(self.languages), time_zones=dict(self.time_zones))

    def ack_key(self) -> bytes:
        assert self.ack_secret is not None, "filled in by validation outside production, refused in it"
        return self.ack_secret.get_secret_value().encode()

    def production_problems(self) -> list[str]:
        name = self.env_name
        problems = super().production_problems()
        problems += weak_secret(name("ack_secret"), self.ack_secret, PUBLISHED_ACK_SECRETS)
        problems += kek_in_a_file(name("kek_uri"), self.kek_uri)
        if self.delivery_mode == "smtp" and not (self.smtp_starttls or self.smtp_implicit_tls):
            problems.append(f"{name('smtp_starttls')} or {name('smtp_implicit_tls')}: SMTP is not TLS")
        if self.delivery_mode == "smtp" and not self.smtp_validate_certs:
            problems.append(f"{name('smtp_validate_certs')}: the SMTP server's certificate is not checked")
        if self.clock_offset_s:
            problems.append(f"{name('clock_offset_s')}: a moved clock is for drills only")
        return problems


def mailer_for(settings: NotifierSettings) -> Mailer:
    return TestModeMailer() if settings.delivery_mode == "test" else smtp_mailer(settings)


def smtp_mailer(settings: NotifierSettings) -> SmtpMailer:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.sender,
        timeout_s=settings.smtp_timeout_s,
        username=settings.smtp_username,
        password=password,
        starttls=settings.smtp_starttls,
        connections=settings.smtp_connections,
        implicit_tls=settings.smtp_implicit_tls,
        validate_certs=settings.smtp_validate_certs,
    )
