"""Router settings, read once at start-up (env prefix DRR_ROUTER_)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.faust_app import FaustSettings
from shared.policy import DEFAULT_POLICY


class RouterSettings(FaustSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_ROUTER_", extra="ignore")

    port: int = 8002
    state_dir: Path = Path("var/state/router")
    record_key_path: Path = Path("var/keys/router/records.pem")
    """The Ed25519 key this service signs its audit records with (its public key is in the audit service's
    DRR_AUDIT_RECORD_SIGNERS)."""
    digest_key_path: Path = Path("var/keys/router/field-digests.key")
    """The key of the field digests in audit records, shared by the producing services, never the audit service."""
    policy_path: Path = DEFAULT_POLICY
    """The sharing policy (YAML); validated at start-up, the router refuses to start if it is wrong."""
    erasure_sweep_s: float = Field(60.0, gt=0)
    """How often closed cases are checked for the end of their retention (the policy's `retention`)."""
