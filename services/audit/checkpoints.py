"""Signed checkpoints: Ed25519 over C2SP checkpoint text, never signed unless consistent with the last.

The private key lives in a file (PEM, PKCS#8), generated with mode 0600 on first start when missing.
"""

from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from drr_verify.notes import Checkpoint, signature_line, verifier_key_text
from drr_verify.proofs import verify_consistency

from services.audit import merkle
from services.audit.leaves import timestamp
from services.audit.store import SqlLedger, StoredCheckpoint
from shared.record_signing import write_signing_key


class InconsistentLedger(RuntimeError):
    """The stored tree no longer extends the last signed checkpoint: someone changed the past."""


class Signer:
    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        self.name, self._key = name, key
        self.public_key = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @classmethod
    def from_file(cls, path: Path, name: str) -> "Signer":
        write_signing_key(path)  # made once (mode 0600) when missing, like every service's record key
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(name, key)

    @property
    def verifier_key(self) -> str:
        return verifier_key_text(self.name, self.public_key)

    def sign(self, checkpoint: Checkpoint) -> str:
        text = checkpoint.text()
        return text + "\n" + signature_line(self.name, self.public_key, self._key.sign(text.encode()))


def checkpoint_now(ledger: SqlLedger, signer: Signer, origin: str, now: datetime | None = None) -> StoredCheckpoint:
    """Sign the ledger's current tree and store the checkpoint, after proving it extends the last one."""
    latest = ledger.latest_checkpoint()
    size = ledger.size()
    if latest is not None and latest.size == size:
        return latest
    with ledger.reader() as node:
        root = merkle.root(size, node)
        if latest is not None:
            proof = merkle.consistency_proof(latest.size, size, node)
            if not verify_consistency(latest.size, size, latest.root, root, proof):
                raise InconsistentLedger(f"tree of {size} does not extend the checkpoint at {latest.size}")
    note = signer.sign(Checkpoint(origin, size, root))
    stored = StoredCheckpoint(size, root, note, timestamp(now or datetime.now(UTC)))
    ledger.add_checkpoint(stored)
    return stored


def due(latest: StoredCheckpoint | None, size: int, *, every_leaves: int, every_s: float, now: datetime) -> bool:
    """A new checkpoint every N leaves or T seconds, and only when the tree has grown."""
    if latest is None:
        return True
    if size <= latest.size:
        return False
    age_s = (now - datetime.strptime(latest.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)).total_seconds()
    return size - latest.size >= every_leaves or age_s >= every_s
