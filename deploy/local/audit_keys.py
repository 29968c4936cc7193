"""The audit keys of one local install, made once under var/keys/ (mode 0600): each producing service's
record signing key, and the field digest key the producers share (never given to the audit service).

`local_keys(var_dir)` returns the environment that points each service at its own key and gives the
audit service every producer's public key; the Stack merges it into every service's environment.
"""

import json
from collections.abc import Mapping
from pathlib import Path

from shared.digests import write_digest_key
from shared.record_signing import RecordSigner, write_signing_key

PRODUCERS = ("intake", "router", "notifier", "audit")
"""Services that sign the audit records they produce."""
DIGESTING = ("intake", "router", "notifier")
"""Services that digest fields into records: they hold the digest key, the audit service does not."""


def local_keys(var_dir: Path) -> dict[str, str]:
    folder = var_dir / "keys"
    env, public = {}, {}
    for service in PRODUCERS:
        path = folder / f"{service}-records.pem"
        public[service] = write_signing_key(path)
        env[f"DRR_{service.upper()}_RECORD_KEY_PATH"] = str(path)
    digest_key = folder / "field-digests.key"
    write_digest_key(digest_key)
    env |= {f"DRR_{service.upper()}_DIGEST_KEY_PATH": str(digest_key) for service in DIGESTING}
    env["DRR_AUDIT_RECORD_SIGNERS"] = json.dumps(public)
    return env


def record_signer(env: Mapping[str, str], service: str) -> RecordSigner:
    """A service's signer from an environment local_keys made (tests and benchmarks sign as that service)."""
    return RecordSigner.from_file(service, Path(env[f"DRR_{service.upper()}_RECORD_KEY_PATH"]))
