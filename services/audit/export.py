"""`audit export`: the ledger as JSON Lines plus every signed checkpoint, for drr-verify verify-export.

The line format is fixed (drr_verify.export reads it): `{"index":N,"leaf_hash":"BASE64","leaf":LEAF}`, with
`"signer":"SERVICE","signature":"BASE64"` before `"leaf"` for a leaf its producer signed (every leaf
ingested since records were signed).
"""

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from services.audit.leaves import StoredLeaf
from services.audit.store import SqlLedger


def entry_line(stored: StoredLeaf, leaf_hash: bytes) -> str:
    """One JSON line whose `leaf` member is the leaf's own JSON, byte for byte (it is one canonical object),
    so a reader sees the record and the verifier hashes exactly those bytes without re-encoding them.
    Signer names and signatures need no escaping (admission.py admits only known signers; base64)."""
    signed = "" if stored.signer is None else f'"signer":"{stored.signer}","signature":"{stored.signature}",'
    head = f'{{"index":{stored.index},"leaf_hash":"{base64.b64encode(leaf_hash).decode()}",'
    return f'{head}{signed}"leaf":{stored.text}}}\n'


def export(ledger: SqlLedger, folder: Path, verifier_key: str, signers: Mapping[str, str] | None = None) -> int:
    """Write entries.jsonl, checkpoints.jsonl, verifier_key.txt and (given) signers.json, the producers'
    public keys the ledger admitted records with; returns the number of entries."""
    folder.mkdir(parents=True, exist_ok=True)
    checkpoints = ledger.checkpoints()
    size = ledger.size()
    with (folder / "checkpoints.jsonl").open("w") as out:
        for checkpoint in checkpoints:
            out.write(json.dumps({"size": checkpoint.size, "note": checkpoint.note}) + "\n")
    count = 0
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        for stored, leaf_hash in ledger.leaves_with_hashes(size):
            out.write(entry_line(stored, leaf_hash))
            count += 1
    (folder / "verifier_key.txt").write_text(verifier_key + "\n")
    if signers is not None:
        (folder / "signers.json").write_text(json.dumps(dict(signers), indent=2, sort_keys=True) + "\n")
    return count
