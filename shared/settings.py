"""Settings common to every service. Each service subclasses ServiceSettings with its own env prefix;
settings are read once in the service's bootstrap, never at import time."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_", extra="ignore")

    kafka_bootstrap: str = Field("127.0.0.1:9092", validation_alias="DRR_KAFKA_BOOTSTRAP")
    log_level: str = Field("INFO", validation_alias="DRR_LOG_LEVEL")
