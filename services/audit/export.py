"""`audit export`: the ledger as JSON Lines plus every signed checkpoint, for drr-verify verify-export.

The line format is fixed (drr_verify.export reads it): `{"index":N,"leaf_hash":"BASE64","leaf":LEAF}`.
"""

import base64
import json
from pathlib import Path

from services.audit.store import SqlLedger


def entry_line(index: int, leaf: str, leaf_hash: bytes) -> str:
    """One JSON line whose `leaf` member is the leaf's own JSON, byte for byte (it is one canonical object),
    so a reader sees the record and the verifier hashes exactly those bytes without re-encoding them."""
    return f'{{"index":{index},"leaf_hash":"{base64.b64encode(leaf_hash).decode()}","leaf":{leaf}}}\n'


def export(ledger: SqlLedger, folder: Path, verifier_key: str) -> int:
    """Write entries.jsonl, checkpoints.jsonl and verifier_key.txt; returns the number of entries."""
    folder.mkdir(parents=True, exist_ok=True)
    checkpoints = ledger.checkpoints()
    size = ledger.size()
    with (folder / "checkpoints.jsonl").open("w") as out:
        for checkpoint in checkpoints:
            out.write(json.dumps({"size": checkpoint.size, "note": checkpoint.note}) + "\n")
    count = 0
    with (folder / "entries.jsonl").open("w", encoding="utf-8") as out:
        for index, leaf, leaf_hash in ledger.leaves_with_hashes(size):
            out.write(entry_line(index, leaf, leaf_hash))
            count += 1
    (folder / "verifier_key.txt").write_text(verifier_key + "\n")
    return count
