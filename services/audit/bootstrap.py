"""Settings -> ledger, signer, consumer and app. Settings are read here, once, never at import time."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.consumer import GROUP_ID, AuditConsumer, kafka_consumer
from services.audit.queries import KafkaQueryLog
from services.audit.sqlite_store import SqliteLedger
from services.audit.store import SqlLedger
from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_AUDIT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8004
    db_path: Path = Path("var/audit.sqlite3")
    database_url: SecretStr | None = None
    """A postgresql:// URL: use PostgreSQL instead of the SQLite file at db_path."""
    signing_key_path: Path = Path("var/audit-signing-key.pem")
    origin: str = "drr-notify.local/audit"
    """The checkpoint origin line and the signing key's name."""
    checkpoint_every_leaves: int = 1000
    checkpoint_every_s: float = 1.0
    group_id: str = GROUP_ID
    """The Kafka consumer group; a second ledger fed from the same topic (a replay) needs its own."""
    session_timeout_s: float = 10.0

    def production_problems(self) -> list[str]:
        """In production the signing key is provisioned, never made on start (a new key would break the
        chain of checkpoints), and readable by its owner only."""
        problems, key, name = super().production_problems(), self.signing_key_path, self.env_name("signing_key_path")
        if not key.is_file():
            problems.append(f"{name}: {key} does not exist (it is made only outside production)")
        elif key.stat().st_mode & 0o077:
            problems.append(f"{name}: {key} is readable by others than its owner (chmod 600)")
        return problems


def open_ledger(settings: AuditSettings) -> SqlLedger:
    if settings.database_url is not None:
        from services.audit.postgres_store import PostgresLedger  # only production needs the driver

        return PostgresLedger.open(settings.database_url.get_secret_value())
    return SqliteLedger.open(settings.db_path)


def signer(settings: AuditSettings) -> Signer:
    return Signer.from_file(settings.signing_key_path, settings.origin)


def bootstrap(settings: AuditSettings) -> FastAPI:
    """The app over the configured ledger, consuming from Kafka as the audit service's principal."""
    ledger, key = open_ledger(settings), signer(settings)
    checkpoint_now(ledger, key, settings.origin)  # a checkpoint exists from the start, and the past is checked
    options = settings.kafka_access().client_options()
    consumer = AuditConsumer(
        ledger,
        partial(kafka_consumer, options, settings.group_id, settings.session_timeout_s),
        key,
        origin=settings.origin,
        every_leaves=settings.checkpoint_every_leaves,
        every_s=settings.checkpoint_every_s,
    )
    query_log = KafkaQueryLog(options)
    return create_app(ledger, query_log, key.verifier_key, consumer, query_log.running)
