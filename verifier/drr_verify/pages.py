"""Check what the oversight API serves: an entries page against its checkpoint, a consistency proof.

An entries page is `{"checkpoint": {"note": ...}, "entries": [{"index", "leaf", "proof", "signer",
"signature"}, ...]}`; hashes are base64. Entries the checkpoint does not cover yet carry `"proof": null`.
"""

import base64
import binascii
from typing import Any

from drr_verify.notes import Checkpoint, VerifierKey, open_checkpoint
from drr_verify.proofs import leaf_hash, verify_consistency, verify_inclusion
from drr_verify.records import signed_by


def _hashes(items: list[str]) -> list[bytes]:
    return [base64.b64decode(item, validate=True) for item in items]


def entry_included(entry: dict[str, Any], checkpoint: Checkpoint) -> bool:
    """True when the entry's own leaf text, at its index, is in the checkpoint's tree."""
    try:
        proof = _hashes(entry["proof"])
    except (binascii.Error, TypeError, KeyError):
        return False
    return verify_inclusion(entry["index"], checkpoint.size, leaf_hash(entry["leaf"].encode()), proof, checkpoint.root)


def unproven_entries(page: dict[str, Any], key: VerifierKey, signers: dict[str, Any] | None = None) -> list[int]:
    """Indexes of the page's entries that do not verify (all of them when the checkpoint does not); with
    `signers` (service -> public key), an entry without its producer's valid signature does not verify."""
    checkpoint = open_checkpoint(page["checkpoint"]["note"], key)
    if checkpoint is None:
        return [entry["index"] for entry in page["entries"]]
    return [entry["index"] for entry in page["entries"] if not _verified(entry, checkpoint, signers)]


def _verified(entry: dict[str, Any], checkpoint: Checkpoint, signers: dict[str, Any] | None) -> bool:
    if not entry_included(entry, checkpoint):
        return False
    leaf, signer, signature = entry["leaf"].encode(), entry.get("signer"), entry.get("signature")
    return signers is None or signed_by(signers, leaf, signer, signature) is None


def consistent(old_note: str, new_note: str, proof: list[str], key: VerifierKey) -> bool:
    """True when both checkpoints are signed by `key` and the proof links the old tree to the new."""
    old, new = open_checkpoint(old_note, key), open_checkpoint(new_note, key)
    if old is None or new is None:
        return False
    try:
        return verify_consistency(old.size, new.size, old.root, new.root, _hashes(proof))
    except binascii.Error:
        return False
