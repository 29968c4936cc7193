"""What a service needs to sign people in (the portal, the audit's console): where the identity provider
is, who the service is to it, and the key its cookies are signed with. Each service subclasses it with its
own env prefix (DRR_PORTAL_, DRR_AUDIT_CONSOLE_) and its own defaults."""

from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from shared.settings import Settings, weak_secret
from shared.web_signin.oidc import Client


class SignInSettings(Settings):
    issuer_url: str | None = None
    """The OpenID Connect issuer, exactly as its discovery document and ID tokens name it
    (`{issuer_url}/.well-known/openid-configuration` must answer)."""
    issuer_ca_file: Path | None = None
    """The CA that signed the issuer's TLS certificate; unset: the system CAs."""
    client_id: str
    client_secret: SecretStr | None = None
    """The service's secret at the issuer (a confidential client); unset only for a public client."""
    public_url: str
    """Where browsers reach the service: the redirect URI `{public_url}/auth/callback` and the address
    the issuer sends a signed-out browser back to are made from it; https makes every cookie Secure and
    `__Host-` named."""
    session_secret: SecretStr | None = None
    """The key the session and sign-in cookies are signed with (at least 32 characters). Unset outside
    production: a random one per process, so sessions end when the service restarts."""
    session_max_age_s: int = Field(8 * 3600, gt=0)
    """How long a session lasts after sign-in; then the person signs in again."""
    login_max_age_s: int = Field(600, gt=0)
    """How long a browser may take at the issuer between leaving for sign-in and coming back."""
    keep_id_token: bool = True
    """Keep the ID token in the session, to hand back as id_token_hint at logout (the issuer then ends
    its own session without asking). Off: the session holds only the claims the service uses, and the
    issuer may ask the person to confirm the logout."""
    scopes: str = "openid profile email"

    @field_validator("issuer_url", "public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return None if value is None else value.rstrip("/")

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/auth/callback"

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")

    def client(self) -> Client:
        secret = self.client_secret.get_secret_value() if self.client_secret else None
        return Client(self.client_id, secret, self.redirect_uri, self.scopes)

    def production_problems(self) -> list[str]:
        """Strong secrets, and no sign-in over plain http beyond this machine."""
        problems = super().production_problems()
        problems += weak_secret(self.env_name("session_secret"), self.session_secret)
        problems += weak_secret(self.env_name("client_secret"), self.client_secret)
        for field in ("public_url", "issuer_url"):
            if not safe_url(getattr(self, field) or ""):
                problems.append(f"{self.env_name(field)}: plain http:// outside this machine")
        return problems


def safe_url(url: str) -> bool:
    """https, or http to a loopback address (a TLS-terminating proxy on the same machine)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ip_address(parts.hostname).is_loopback
    except ValueError:
        return False
