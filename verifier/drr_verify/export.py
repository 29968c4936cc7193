"""Verify an `audit export` folder: every leaf against its hash, the tree against every signed checkpoint.

The folder holds `entries.jsonl` (one `{"index", "leaf", "leaf_hash"}` per line, in order; `leaf` is
the exact text that was hashed) and `checkpoints.jsonl` (one `{"size", "note"}` per signed checkpoint).
"""

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from drr_verify.notes import VerifierKey, open_checkpoint
from drr_verify.proofs import Accumulator, leaf_hash


@dataclass(frozen=True)
class Report:
    ok: bool
    message: str
    entries: int = 0
    first_bad_index: int | None = None


def verify_export(folder: Path, key: VerifierKey) -> Report:
    """Report the first thing that does not verify, naming the entry or checkpoint, or ok."""
    checkpoints: dict[int, bytes] = {}
    for size, note in _checkpoint_notes(folder):
        checkpoint = open_checkpoint(note, key)
        if checkpoint is None or checkpoint.size != size:
            return Report(False, f"checkpoint at size {size}: signature or format does not verify")
        checkpoints[size] = checkpoint.root
    tree = Accumulator()
    if 0 in checkpoints and checkpoints[0] != tree.root():
        return Report(False, "checkpoint at size 0: root mismatch")
    for index, leaf, stored_hash in _entries(folder):
        if index != tree.size:
            return Report(False, f"entry {tree.size}: missing (found index {index})", tree.size, tree.size)
        if leaf_hash(leaf) != stored_hash:
            return Report(False, f"entry {index}: leaf does not match its hash", index, index)
        tree.add(stored_hash)
        expected = checkpoints.get(tree.size)
        if expected is not None and expected != tree.root():
            return Report(False, f"checkpoint at size {tree.size}: root mismatch with entries 0..{index}", index)
    beyond = [size for size in checkpoints if size > tree.size]
    if beyond:
        return Report(False, f"checkpoint at size {min(beyond)}: entries missing after {tree.size}", tree.size)
    latest = max(checkpoints, default=0)
    return Report(True, f"{tree.size} entries verified; latest signed checkpoint covers {latest}", tree.size)


def _entries(folder: Path) -> Iterator[tuple[int, bytes, bytes]]:
    with (folder / "entries.jsonl").open("rb") as lines:
        for line in lines:
            entry = json.loads(line)
            yield entry["index"], entry["leaf"].encode(), base64.b64decode(entry["leaf_hash"])


def _checkpoint_notes(folder: Path) -> Iterator[tuple[int, str]]:
    with (folder / "checkpoints.jsonl").open("rb") as lines:
        for line in lines:
            item = json.loads(line)
            yield item["size"], item["note"]
