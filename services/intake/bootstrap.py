"""Intake settings, read once at start-up (env prefix DRR_INTAKE_)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_INTAKE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    max_body_bytes: int = 256 * 1024
    publish_timeout_s: float = 10.0
    """How long to wait for the broker's acknowledgement before answering 503."""
