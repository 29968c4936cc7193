"""C2SP signed notes and checkpoints (https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint).

A checkpoint's text is three lines: origin, tree size (decimal), base64 root hash. The note adds a
blank line and one line per signature: an em dash, the key name, base64 of key id (4 bytes) + signature.
The key id is the first 4 bytes of SHA-256(name, "\\n", 0x01, public key); 0x01 names Ed25519.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519 = b"\x01"
DASH = "\u2014 "


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public_key).digest()[:4]


def verifier_key_text(name: str, public_key: bytes) -> str:
    """The `name+hexid+base64(0x01 || key)` form an oversight body pins and passes to drr-verify."""
    return f"{name}+{key_id(name, public_key).hex()}+{base64.b64encode(ED25519 + public_key).decode()}"


def parse_verifier_key(text: str) -> VerifierKey:
    name, hex_id, encoded = text.strip().split("+", 2)  # a name holds no "+"; base64 may
    raw = base64.b64decode(encoded, validate=True)
    if raw[:1] != ED25519 or len(raw) != 33 or key_id(name, raw[1:]).hex() != hex_id:
        raise ValueError("not an Ed25519 verifier key")
    return VerifierKey(name, bytes.fromhex(hex_id), Ed25519PublicKey.from_public_bytes(raw[1:]))


def signature_line(name: str, public_key: bytes, signature: bytes) -> str:
    return f"{DASH}{name} {base64.b64encode(key_id(name, public_key) + signature).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[1].isdigit():
        raise ValueError("not a checkpoint")
    root = base64.b64decode(lines[2], validate=True)
    if len(root) != 32 or (lines[1] != "0" and lines[1].startswith("0")):
        raise ValueError("not a checkpoint")
    return Checkpoint(lines[0], int(lines[1]), root)


def open_checkpoint(note: str, key: VerifierKey) -> Checkpoint | None:
    """The checkpoint in `note` if `key` signed it, else None (bad format counts as unsigned)."""
    text, sep, signatures = note.partition("\n\n")
    if not sep or not signatures.endswith("\n"):
        return None
    text += "\n"
    for line in signatures[:-1].split("\n"):
        if _signed_by(line, key, text.encode()):
            try:
                return parse_checkpoint(text)
            except (ValueError, binascii.Error):
                return None
    return None


def _signed_by(line: str, key: VerifierKey, message: bytes) -> bool:
    if not line.startswith(DASH) or line.count(" ") != 2 or line.split(" ")[1] != key.name:
        return False
    try:
        blob = base64.b64decode(line.split(" ")[2], validate=True)
    except binascii.Error:
        return False
    if blob[:4] != key.key_id or len(blob) != 68:
        return False
    try:
        key.public_key.verify(blob[4:], message)
    except InvalidSignature:
        return False
    return True
