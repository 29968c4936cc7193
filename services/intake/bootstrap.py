"""Intake settings, read once at start-up (env prefix DRR_INTAKE_), and the objects built from them."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.policy.loading import DEFAULT_POLICY
from shared.settings import ServiceSettings, kek_in_a_file


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DRR_INTAKE_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    max_body_bytes: int = 256 * 1024
    max_batch_body_bytes: int = 4 * 1024 * 1024
    max_batch_events: int = 500
    publish_timeout_s: float = 10.0
    """How long to wait for the broker's acknowledgement before answering 503."""
    record_key_path: Path = Path("var/keys/intake/records.pem")
    """The Ed25519 key this service signs its audit records with (its public key is in the audit service's
    DRR_AUDIT_RECORD_SIGNERS)."""
    digest_key_path: Path = Path("var/keys/intake/field-digests.key")
    """The key of the field digests in audit records, shared by the producing services, never the audit service."""
    kek_uri: str = "var/keys/intake/kek.json"
    """The key-encryption key that wraps each case's data key: a Tink keyset file locally (made by the set-up,
    mode 0600), a KMS key URI in production (`gcp-kms://…`, `aws-kms://…`; shared/case_crypto.py)."""
    seal_fields: bool = True
    """Seal risk, clinical and intelligence fields before publishing. Off only for a benchmark's A/B run;
    DRR_ENV=production refuses it off."""
    db_path: Path = Path("var/intake.sqlite3")
    """API keys (hashed) and idempotency claims."""
    policy_path: Path = DEFAULT_POLICY
    """The sharing policy: intake reads which agency holds clinical and intelligence data from it."""
    rate_per_s: float = 200.0
    """Events a second each API key may publish on average (token bucket)."""
    rate_burst: float = 1000.0
    """How many events a key may publish at once before the rate applies."""
    address_rate_per_s: float = Field(1000.0, gt=0)
    """Requests a second each client address may make on average (token bucket), checked before the API key:
    well above a key's event rate, so a busy system is not slowed by it, while a flood of bad keys is."""
    address_rate_burst: float = Field(2000.0, ge=1)
    """How many requests an address may make at once before its rate applies."""
    address_buckets_max: int = Field(100_000, ge=1)
    """Client addresses whose buckets are kept at most (the least recently seen go first)."""
    trusted_proxies: str = ""
    """Comma-separated addresses of the proxies whose X-Forwarded-For intake believes (uvicorn's
    forwarded_allow_ips); none by default, so a client cannot name its own address."""
    refusal_window_s: float = Field(60.0, gt=0)
    """Requests refused before a key is known (401s, an address over its rate) are audited as one record per
    reason and caller per window of this length, with a count (refusal_tally.py)."""
    refusal_callers_max: int = Field(10_000, ge=1)
    """Callers counted apart in one window; the rest are counted together."""
    idempotency_retention_s: float = Field(7 * 24 * 3600, gt=0)
    """How long an idempotency claim is kept (by its claim time); a retry after it counts as a new event."""
    prune_interval_s: float = Field(3600, gt=0)
    """How often intake deletes claims older than the retention (and once at start)."""

    @property
    def stale_claim_s(self) -> float:
        """A pending claim older than this was left by a request that died mid-publish: it may be taken over."""
        return self.publish_timeout_s + 30

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.seal_fields:
            problems.append(f"{self.env_name('seal_fields')}: sensitive fields would be published in clear")
        problems += kek_in_a_file(self.env_name("kek_uri"), self.kek_uri)
        return problems
