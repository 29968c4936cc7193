"""Portal settings, read once at start-up (env prefix DRR_PORTAL_): where the identity provider is, who the
portal is to it, and the key its cookies are signed with (the sign-in fields: shared/web_signin/settings.py);
its Kafka principal (ServiceSettings), the keys it opens sealed fields and seals comments with, and the
notifier's policy file it ranks alerts by."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings, kek_in_a_file
from shared.web_signin.settings import SignInSettings


class PortalSettings(ServiceSettings, SignInSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_PORTAL_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8005
    issuer_url: str = "http://127.0.0.1:8180/realms/drr"
    """The OpenID Connect issuer, exactly as its discovery document and ID tokens name it
    (`{issuer_url}/.well-known/openid-configuration` must answer)."""
    client_id: str = "drr-portal"
    public_url: str = "http://127.0.0.1:8005"
    """Where browsers reach the portal (SignInSettings.public_url)."""
    digest_key_path: Path = Path("var/keys/portal/field-digests.key")
    """The producers' digest key: an acknowledgement's comment is digested under the case's key made from it."""
    kek_uri: str = "var/keys/portal/kek.json"
    """The key-encryption key (a KMS URI in production): it opens the sealed fields of a practitioner's own
    deliveries for the page that shows them, and seals their acknowledgement comments."""
    policy_path: Path = Path(__file__).resolve().parents[1] / "notifier" / "policy.yaml"
    """The notifier's policy file: the portal ranks alerts by its priorities (shared/priorities.py)."""
    ack_wait_s: float = 5.0
    """How long an acknowledgement waits to see the notifier record it before the page comes back."""

    def production_problems(self) -> list[str]:
        return super().production_problems() + kek_in_a_file(self.env_name("kek_uri"), self.kek_uri)
