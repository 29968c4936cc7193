"""Router settings, read once at start-up (env prefix DRR_ROUTER_)."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from shared.faust_app import FaustSettings
from shared.policy import DEFAULT_POLICY


class RouterSettings(FaustSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_ROUTER_", extra="ignore")

    port: int = 8002
    policy_path: Path = DEFAULT_POLICY
    """The sharing policy (YAML); validated at start-up, the router refuses to start if it is wrong."""
