"""Verify an `audit export` folder: every leaf against its hash, the tree against every signed checkpoint.

The folder holds `entries.jsonl` (one `{"index":N,"leaf_hash":"BASE64","leaf":LEAF}` per line, in order,
in exactly that form, with `"signer":"SERVICE","signature":"BASE64",` before `"leaf"` when the record's
producer signed it; LEAF is the exact JSON that was hashed, embedded as it is) and `checkpoints.jsonl`
(one `{"size", "note"}` per signed checkpoint). Given the producers' public keys (`signers`, obtained from
the services' operators; the export's own `signers.json` is only what the ledger was configured with),
every entry must also carry a valid producer signature (drr_verify.records).
"""

import base64
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from drr_verify.notes import VerifierKey, open_checkpoint
from drr_verify.proofs import HASH_SIZE, Accumulator, leaf_hash
from drr_verify.records import public_keys, signed_by

Signers = dict[str, str]
"""Service -> base64 raw Ed25519 public key (plain strings, so worker processes can be handed them)."""


@dataclass(frozen=True)
class Report:
    ok: bool
    message: str
    entries: int = 0
    first_bad_index: int | None = None


def verify_export(
    folder: Path,
    key: VerifierKey,
    workers: int | None = None,
    chunk_bytes: int = 8 << 20,
    signers: Signers | None = None,
) -> Report:
    """Report the first thing that does not verify, naming the entry or checkpoint, or ok. With `signers`,
    each entry's producer signature is checked too (about 0.1 ms an entry, spread like the hashing).

    Parsing and hashing the entries is spread over `workers` processes (default: one per CPU) in chunks
    of `chunk_bytes`; the tree is folded here, in order, so the report is the same as a sequential pass.
    """
    checkpoints = _signed_roots(folder, key)
    if isinstance(checkpoints, Report):
        return checkpoints
    tree = Accumulator()
    if 0 in checkpoints and checkpoints[0] != tree.root():
        return Report(False, "checkpoint at size 0: root mismatch")
    for chunk in _checked_chunks(folder / "entries.jsonl", workers, chunk_bytes, signers):
        if chunk.hashes and chunk.first != tree.size:
            return Report(False, f"entry {tree.size}: missing (found index {chunk.first})", tree.size, tree.size)
        for offset in range(0, len(chunk.hashes), HASH_SIZE):
            tree.add(chunk.hashes[offset : offset + HASH_SIZE])
            expected = checkpoints.get(tree.size)
            if expected is not None and expected != tree.root():
                index = tree.size - 1
                return Report(False, f"checkpoint at size {tree.size}: root mismatch with entries 0..{index}", index)
        if chunk.error is not None:
            message, at = chunk.error
            index = tree.size if at is None else at
            if index != tree.size:  # the chunk's first entry is out of place
                return Report(False, f"entry {tree.size}: missing (found index {index})", tree.size, tree.size)
            return Report(False, f"entry {index}: {message}", index, index)
    beyond = [size for size in checkpoints if size > tree.size]
    if beyond:
        return Report(False, f"checkpoint at size {min(beyond)}: entries missing after {tree.size}", tree.size)
    latest = max(checkpoints, default=0)
    signed = "" if signers is None else ", each signed by its producer"
    return Report(True, f"{tree.size} entries verified{signed}; latest signed checkpoint covers {latest}", tree.size)


def _signed_roots(folder: Path, key: VerifierKey) -> dict[int, bytes] | Report:
    """Size -> root of every checkpoint, or the Report naming the first whose signature fails."""
    checkpoints: dict[int, bytes] = {}
    for size, note in _checkpoint_notes(folder):
        checkpoint = open_checkpoint(note, key)
        if checkpoint is None or checkpoint.size != size:
            return Report(False, f"checkpoint at size {size}: signature or format does not verify")
        checkpoints[size] = checkpoint.root
    return checkpoints


@dataclass(frozen=True)
class Chunk:
    """The leaf hashes of consecutive good entries from `first` on, and what stopped the chunk, if anything:
    (what is wrong, the index the entry has or should have had)."""

    first: int
    hashes: bytes
    error: tuple[str, int | None] | None


def _checked_chunks(path: Path, workers: int | None, chunk_bytes: int, signers: Signers | None) -> Iterator[Chunk]:
    size = path.stat().st_size
    bounds = [(start, min(start + chunk_bytes, size)) for start in range(0, size, chunk_bytes)]
    if len(bounds) <= 1 or workers == 1:
        yield from (_check_chunk(path, start, end, signers) for start, end in bounds)
        return
    with ProcessPoolExecutor(workers or os.cpu_count()) as pool:
        starts, ends = zip(*bounds, strict=True)
        yield from pool.map(_check_chunk, [path] * len(bounds), starts, ends, [signers] * len(bounds))


def _check_chunk(path: Path, start: int, end: int, signers: Signers | None = None) -> Chunk:
    """Every line that begins in [start, end): parsed, in index order, each leaf against its stored hash
    (and, given `signers`, its producer's signature)."""
    keys = None if signers is None else public_keys(signers)
    hashes: list[bytes] = []
    first: int | None = None
    with path.open("rb") as lines:
        position = start
        if start > 0:  # a line that begins before start belongs to the previous chunk
            lines.seek(start - 1)
            position += len(lines.readline()) - 1
        while position < end:
            line = lines.readline()
            if not line:
                break
            position += len(line)
            try:
                index, leaf, stored, signer, signature = _entry(line)
            except Malformed:  # its index is unknown: it stands where the next entry should
                at = None if first is None else first + len(hashes)
                return Chunk(first or 0, b"".join(hashes), ("not in the export format", at))
            first = index if first is None else first
            if index != first + len(hashes):
                return Chunk(first, b"".join(hashes), (f"missing (found index {index})", first + len(hashes)))
            if leaf_hash(leaf) != stored:
                return Chunk(first, b"".join(hashes), ("leaf does not match its hash", index))
            wrong = None if keys is None else signed_by(keys, leaf, signer, signature)
            if wrong is not None:
                return Chunk(first, b"".join(hashes), (f"producer signature: {wrong}", index))
            hashes.append(stored)
    return Chunk(first or 0, b"".join(hashes), None)


ENTRY_HEAD = re.compile(
    rb'\{"index":(0|[1-9][0-9]{0,17}),"leaf_hash":"([A-Za-z0-9+/]{43}=)",'
    rb'(?:"signer":"([a-z][a-z0-9-]{0,31})","signature":"([A-Za-z0-9+/]{86}==)",)?"leaf":'
)


class Malformed(ValueError):
    """An entries line not in the export's fixed format."""


def _entry(line: bytes) -> tuple[int, bytes, bytes, str | None, str | None]:
    """(index, the leaf's exact bytes, its stored hash, signer, signature). The leaf is the rest of the line
    up to the closing brace: no JSON decoding is needed, and the bytes hashed are the bytes a reader of the
    line sees."""
    head = ENTRY_HEAD.match(line)
    body = line.rstrip(b"\n")
    if head is None or not body.endswith(b"}"):
        raise Malformed(line[:60])
    signer, signature = (None if part is None else part.decode() for part in (head[3], head[4]))
    return int(head[1]), body[head.end() : -1], base64.b64decode(head[2]), signer, signature


def _checkpoint_notes(folder: Path) -> Iterator[tuple[int, str]]:
    with (folder / "checkpoints.jsonl").open("rb") as lines:
        for line in lines:
            item = json.loads(line)
            yield item["size"], item["note"]
