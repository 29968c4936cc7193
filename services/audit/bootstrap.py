"""Settings -> ledger, consumer and app. Settings are read here, once, never at import time."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI
from pydantic_settings import SettingsConfigDict

from services.audit.adapters import Ledger
from services.audit.app import create_app
from services.audit.consumer import AuditConsumer, kafka_consumer
from shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_AUDIT_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8004
    db_path: Path = Path("var/audit.sqlite3")


def bootstrap(settings: AuditSettings) -> FastAPI:
    """The app over the ledger at settings.db_path, consuming from settings.kafka_bootstrap."""
    ledger = Ledger.open(settings.db_path)
    consumer = AuditConsumer(ledger, partial(kafka_consumer, settings.kafka_bootstrap))
    return create_app(ledger, consumer)
