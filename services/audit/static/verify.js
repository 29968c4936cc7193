// What drr-verify checks (verifier/drr_verify/notes.py and proofs.py), byte for byte, in the browser:
// a C2SP signed note's Ed25519 signature by a pinned verifier key (Web Crypto), and an RFC 6962 inclusion proof.
// Every check either returns its result or throws a VerifyError naming why (its `reason`).

const utf8 = new TextEncoder();
const DASH = "\u2014 ";

export class VerifyError extends Error {
  constructor(reason) { super(reason); this.reason = reason; }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) { out.set(part, at); at += part.length; }
  return out;
}

async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", concat(...parts)));
}

function base64(text, reason) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new VerifyError(reason);
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export async function keyId(name, publicKey) {
  return (await sha256(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey)).slice(0, 4);
}

// `name+hexid+base64(0x01 || key)`; a name holds no "+", base64 may.
export async function parseVerifierKey(text) {
  const trimmed = text.trim();
  const first = trimmed.indexOf("+"), second = trimmed.indexOf("+", first + 1);
  if (first < 1 || second < 0) throw new VerifyError("pinned_key_invalid");
  const name = trimmed.slice(0, first), hexId = trimmed.slice(first + 1, second);
  const raw = base64(trimmed.slice(second + 1), "pinned_key_invalid");
  if (raw[0] !== 0x01 || raw.length !== 33) throw new VerifyError("pinned_key_invalid");
  const id = await keyId(name, raw.slice(1));
  if (hex(id) !== hexId) throw new VerifyError("pinned_key_invalid");
  return { name, id, publicKey: raw.slice(1) };
}

export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "" || !/^\d+$/.test(lines[1])) throw new VerifyError("not_a_checkpoint");
  if (lines[1] !== "0" && lines[1].startsWith("0")) throw new VerifyError("not_a_checkpoint");
  const root = base64(lines[2], "not_a_checkpoint");
  if (root.length !== 32) throw new VerifyError("not_a_checkpoint");
  return { origin: lines[0], size: BigInt(lines[1]), root };
}

// The checkpoint in `note` if `key` signed it; else wrong_key (no signature by that key) or bad_signature.
export async function openCheckpoint(note, key) {
  const cut = note.indexOf("\n\n");
  if (cut < 0 || !note.endsWith("\n")) throw new VerifyError("not_a_checkpoint");
  const text = note.slice(0, cut + 1), signatures = note.slice(cut + 2, -1).split("\n");
  let named = false;
  for (const line of signatures) {
    const parts = line.split(" ");
    if (!line.startsWith(DASH) || parts.length !== 3 || parts[1] !== key.name) continue;
    let blob;
    try { blob = base64(parts[2], "bad_signature"); } catch { continue; }
    if (blob.length !== 68 || !same(blob.slice(0, 4), key.id)) continue;
    named = true;
    if (await ed25519Verify(key.publicKey, blob.slice(4), utf8.encode(text))) return parseCheckpoint(text);
  }
  throw new VerifyError(named ? "bad_signature" : "wrong_key");
}

async function ed25519Verify(publicKey, signature, message) {
  let cryptoKey;
  try {
    cryptoKey = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch {
    throw new VerifyError("no_ed25519");
  }
  return crypto.subtle.verify({ name: "Ed25519" }, cryptoKey, signature, message);
}

export const leafHash = (leaf) => sha256(Uint8Array.of(0), leaf);
const nodeHash = (left, right) => sha256(Uint8Array.of(1), left, right);

// RFC 9162 section 2.1.3.2, as proofs.verify_inclusion (BigInt: no 32-bit bit operations on sizes).
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index < 0n || index >= size || leaf.length !== 32 || root.length !== 32) return false;
  if (proof.some((p) => p.length !== 32)) return false;
  let fn = index, sn = size - 1n, r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n && same(r, root);
}

// One entry of the console (index, leaf text, base64 proof, the checkpoint's note) against the pinned key.
export async function verifyEntry(entry, pinnedText) {
  if (!pinnedText) throw new VerifyError("no_pinned_key");
  const key = await parseVerifierKey(pinnedText);
  const checkpoint = await openCheckpoint(entry.checkpoint.note, key);
  if (entry.proof === null) throw new VerifyError("not_yet_proven");
  const proof = entry.proof.map((p) => base64(p, "proof_failed"));
  const leaf = await leafHash(utf8.encode(entry.leaf));
  if (!(await verifyInclusion(BigInt(entry.index), checkpoint.size, leaf, proof, checkpoint.root))) {
    throw new VerifyError("proof_failed");
  }
  return checkpoint;
}
