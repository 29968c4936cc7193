"""The audit keys of one install, made once (mode 0600), one folder per service so that each can be given
only its own: `<service>/records.pem` (the Ed25519 key it signs its audit records with), for intake,
router, notifier and portal `<service>/field-digests.key` (the digest key they share, never given to the audit
service), for intake, notifier and portal `<service>/kek.json` (the key-encryption key that wraps each case's data
key, shared/case_crypto.py; a KMS in production), and for the audit service `audit/record-signers.json`
(every producer's public key).

`local_keys(var_dir)` makes them under var_dir/keys/ and returns the environment that points each service
at its own; the Stack merges it into every service's environment. `python -m deploy.local.audit_keys DIR`
makes them under DIR (docker-compose's one-shot `audit-keys` job, one volume per service folder).
"""

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from shared.case_crypto import write_kek_file
from shared.digests import write_digest_key
from shared.record_signing import RecordSigner, write_signing_key

PRODUCERS = ("intake", "router", "notifier", "audit")
"""Services that sign the audit records they produce."""
DIGESTING = ("intake", "router", "notifier", "portal")
"""Services that digest fields into records: they hold the digest key, the audit service does not."""
SEALING = ("intake", "notifier", "portal")
"""Services that seal or open case data (the portal shows a recipient what they were sent and seals a comment):
they hold the key-encryption key, the router does not."""
SIGNERS_FILE = "record-signers.json"


def _copy_private(source: Path, copy: Path) -> None:
    """Each service's own copy of a shared key, readable by its owner only from the first byte; kept if there."""
    if copy.exists():
        return
    copy.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(source.read_bytes())


def make_keys(folder: Path) -> dict[str, str]:
    """Every key under `folder` (those already there are kept); service -> its public key."""
    public = {service: write_signing_key(folder / service / "records.pem") for service in PRODUCERS}
    write_digest_key(folder / "field-digests.key")
    write_kek_file(folder / "kek.json")
    for name, services in (("field-digests.key", DIGESTING), ("kek.json", SEALING)):
        for service in services:
            _copy_private(folder / name, folder / service / name)
    text = json.dumps(public, indent=2, sort_keys=True) + "\n"
    (folder / "audit" / SIGNERS_FILE).write_text(text)
    (folder / SIGNERS_FILE).write_text(text)  # for `drr-verify --signers` (oversight gets it from the operators)
    return public


def local_keys(var_dir: Path) -> dict[str, str]:
    folder = var_dir / "keys"
    public = make_keys(folder)
    env = {f"DRR_{name.upper()}_RECORD_KEY_PATH": str(folder / name / "records.pem") for name in PRODUCERS}
    env |= {f"DRR_{name.upper()}_DIGEST_KEY_PATH": str(folder / name / "field-digests.key") for name in DIGESTING}
    env |= {f"DRR_{name.upper()}_KEK_URI": str(folder / name / "kek.json") for name in SEALING}
    env["DRR_AUDIT_RECORD_SIGNERS"] = json.dumps(public)
    return env


def record_signer(env: Mapping[str, str], service: str) -> RecordSigner:
    """A service's signer from an environment local_keys made (tests and benchmarks sign as that service)."""
    return RecordSigner.from_file(service, Path(env[f"DRR_{service.upper()}_RECORD_KEY_PATH"]))


if __name__ == "__main__":
    make_keys(Path(sys.argv[1]))
