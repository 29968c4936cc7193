"""Settings -> ledger, signer, consumer and app. Settings are read here, once, never at import time."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from drr_verify.records import public_keys
from fastapi import FastAPI
from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from services.audit.admission import Admission
from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.completeness.rules import Windows
from services.audit.completeness.watch import CompletenessWatch
from services.audit.console.app import build_console
from services.audit.console.settings import ConsoleSettings
from services.audit.consumer import GROUP_ID, AuditConsumer, kafka_consumer
from services.audit.dead_letters import KafkaDeadLetters
from services.audit.producers import MAY_PRODUCE
from services.audit.queries import KafkaQueryLog
from services.audit.records import SERVICE
from services.audit.sqlite_store import SqliteLedger
from services.audit.store import SqlLedger
from shared.record_signing import RecordSigner
from shared.settings import ServiceSettings
from shared.web_signin.door import issuer_http


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
    decision_deadline_s: float = Field(60.0, gt=0)
    """An accepted event with no decision (sharing.decided, team.updated, sharing_state.updated) this long
    after the ledger saw it is an alarm."""
    delivery_window_s: float = Field(3900.0, gt=0)
    """A delivery with no final state this long after it was decided (or created) is an alarm. Keep it above
    the notifier's DRR_NOTIFIER_RETRY_MAX_AGE_S (3600) + _RETRY_MAX_DELAY_S (30) + an SMTP exchange: the
    notifier publishes a delivery's records only once it is delivered or given up on."""
    group_hold_s: float = Field(600.0, ge=0)
    """A held delivery also waits its hold: a grouped email at most the notifier's settle window (120 s) and a
    sweep, a digest up to a day (and the sweep), a pause up to 30 days; the delivery window follows."""
    digest_hold_s: float = Field(90_000.0, ge=0)
    pause_hold_s: float = Field(2_595_600.0, ge=0)
    completeness_check_s: float = Field(5.0, gt=0)
    """How often to look for waits past their time (only once the consumer has read the whole topic)."""

    record_signers: dict[str, str] = {}
    """Service -> base64 of the raw Ed25519 public key it signs its audit records with (JSON in the
    environment); every producer, this service included. Records signed otherwise are refused."""
    record_signers_path: Path | None = None
    """The same as a JSON file (docker-compose's key job, a mounted secret), when record_signers is empty."""
    record_key_path: Path = Path("var/keys/audit/records.pem")
    """This service's own record signing key (its oversight-query records)."""

    def windows(self) -> Windows:
        holds = {"group": self.group_hold_s, "digest": self.digest_hold_s, "paused": self.pause_hold_s}
        return Windows(self.decision_deadline_s, self.delivery_window_s, holds)

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


def signer_texts(settings: AuditSettings) -> dict[str, str]:
    if settings.record_signers or settings.record_signers_path is None:
        return settings.record_signers
    items: dict[str, str] = json.loads(settings.record_signers_path.read_text())
    return items


def record_signers(settings: AuditSettings) -> dict[str, Ed25519PublicKey]:
    """The producers' public keys, checked at start: each a key, each a service that may produce records."""
    keys = public_keys(signer_texts(settings))
    unknown = sorted(set(keys) - set(MAY_PRODUCE))
    if unknown:
        raise ValueError(f"DRR_AUDIT_RECORD_SIGNERS names services that produce no records: {unknown}")
    return keys


def record_signer(settings: AuditSettings, signers: dict[str, Ed25519PublicKey]) -> RecordSigner:
    """This service's own key, which must be the one its signers list names (else its records are refused)."""
    own = RecordSigner.from_file(SERVICE, settings.record_key_path)
    if signer_texts(settings).get(SERVICE) != own.public_key:
        raise ValueError(f"DRR_AUDIT_RECORD_SIGNERS must give {SERVICE!r} the key in {settings.record_key_path}")
    return own


def bootstrap(settings: AuditSettings, console: ConsoleSettings | None = None) -> FastAPI:
    """The app over the configured ledger, consuming from Kafka as the audit service's principal; with the
    console when its settings name an issuer."""
    signers = record_signers(settings)
    options = settings.kafka_access().client_options()
    query_log = KafkaQueryLog(options, record_signer(settings, signers))
    ledger, key = open_ledger(settings), signer(settings)
    checkpoint_now(ledger, key, settings.origin)  # a checkpoint exists from the start, and the past is checked
    watch = CompletenessWatch(ledger.waits, query_log, settings.windows(), every_s=settings.completeness_check_s)
    watch.refresh_gauges()  # /metrics tells the truth from the start, before the first check
    dead_letters = KafkaDeadLetters(options)
    consumer = AuditConsumer(
        ledger,
        partial(kafka_consumer, options, settings.group_id, settings.session_timeout_s),
        key,
        Admission(signers),
        dead_letters,
        origin=settings.origin,
        every_leaves=settings.checkpoint_every_leaves,
        every_s=settings.checkpoint_every_s,
        completeness=watch,
    )

    http = issuer_http(console) if console is not None and console.enabled else None

    async def producers() -> AsyncIterator[None]:
        async with asynccontextmanager(query_log.running)(), asynccontextmanager(dead_letters.running)():
            try:
                yield
            finally:
                if http is not None:
                    await http.aclose()

    pages = build_console(console, http) if console is not None and http is not None else None
    return create_app(ledger, query_log, key.verifier_key, consumer, producers, pages)
