"""The console's sign-in settings (env prefix DRR_AUDIT_CONSOLE_), read once at start-up beside
AuditSettings. No issuer configured (DRR_AUDIT_CONSOLE_ISSUER_URL unset): no console, the API alone."""

from pydantic_settings import SettingsConfigDict

from shared.web_signin.settings import SignInSettings


class ConsoleSettings(SignInSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_AUDIT_CONSOLE_", extra="ignore")

    client_id: str = "drr-oversight"
    """The audit service's own client at the issuer (not the portal's)."""
    public_url: str = "http://127.0.0.1:8004"
    """Where browsers reach the audit service; the redirect URI is `{public_url}/auth/callback`."""

    @property
    def enabled(self) -> bool:
        return self.issuer_url is not None

    def production_problems(self) -> list[str]:
        """The sign-in's problems (https, strong secrets) once the console is on; none while it is off."""
        return super().production_problems() if self.enabled else []
