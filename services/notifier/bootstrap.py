"""Notifier settings, read once at start-up (env prefix DRR_NOTIFIER_), and the mailer they describe."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.notifier.adapters import SmtpMailer
from shared.faust_app import FaustSettings


class NotifierSettings(FaustSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_NOTIFIER_", extra="ignore")

    port: int = 8003
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_timeout_s: float = Field(10.0, gt=0)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    """Off by default because the local mail sink speaks plain SMTP; turn on for any real server."""
    sender: str = "drr-notify@localhost"
    smtp_connections: int = Field(4, ge=1)
    """SMTP sessions kept open and reused."""
    concurrency: int = Field(8, ge=1)
    """Deliveries handled at once (each its own SMTP connection); order between emails is not kept."""
    max_attempts: int = Field(5, ge=1)
    retry_base_s: float = Field(0.5, ge=0)
    """The first retry waits about this long; each later one about twice the one before."""


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
    )
