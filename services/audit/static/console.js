// The console's browser side: pin a verifier key (kept in this browser's localStorage), and verify an entry.
import { VerifyError, parseVerifierKey, verifyEntry } from "./verify.js";

const PINNED = "drr.console.pinnedKey";

function showPinned() {
  const shown = document.getElementById("pinned-key");
  if (shown) shown.textContent = localStorage.getItem(PINNED) || shown.dataset.none;
}

async function pin() {
  const status = document.getElementById("pin-status");
  const text = document.getElementById("pin-input").value.trim();
  try {
    await parseVerifierKey(text);
  } catch {
    status.textContent = status.dataset.invalid;
    return;
  }
  localStorage.setItem(PINNED, text);
  status.textContent = status.dataset.pinned;
  showPinned();
}

function forget() {
  localStorage.removeItem(PINNED);
  const status = document.getElementById("pin-status");
  status.textContent = status.dataset.forgotten;
  showPinned();
}

async function verify() {
  const result = document.getElementById("verify-result");
  const messages = JSON.parse(document.getElementById("verify-messages").textContent);
  const entry = JSON.parse(document.getElementById("entry-data").textContent);
  result.className = "";
  result.textContent = "…";
  try {
    await verifyEntry(entry, localStorage.getItem(PINNED));
    result.className = "verified";
    result.dataset.outcome = "verified";
    result.textContent = messages.verified;
  } catch (error) {
    const reason = error instanceof VerifyError ? error.reason : "proof_failed";
    result.className = "failed";
    result.dataset.outcome = reason;
    result.textContent = messages[reason] || reason;
  }
}

function wire(id, handler) {
  const element = document.getElementById(id);
  if (element) element.addEventListener("click", handler);
}

showPinned();
wire("pin-button", pin);
wire("forget-button", forget);
wire("verify-button", verify);
