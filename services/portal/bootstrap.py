"""Portal settings, read once at start-up (env prefix DRR_PORTAL_): where the identity provider is, who the
portal is to it, and the key its cookies are signed with (the sign-in fields: shared/web_signin/settings.py)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings
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
