"""Router settings, read once at start-up (env prefix DRR_ROUTER_)."""

from pydantic_settings import SettingsConfigDict

from shared.faust_app import FaustSettings


class RouterSettings(FaustSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_ROUTER_", extra="ignore")

    port: int = 8002
