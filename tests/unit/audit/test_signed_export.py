"""An export of signed leaves, checked by drr-verify with the producers' public keys: every entry must be
signed by a known producer, over its exact bytes, and by the service the record names."""

import json
from pathlib import Path

import pytest
from drr_verify import cli
from drr_verify.export import verify_export
from drr_verify.notes import parse_verifier_key

from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.export import export
from services.audit.ingest import store
from services.audit.leaves import leaf_of
from services.audit.sqlite_store import SqliteLedger
from tests.unit.audit.signed import ADMISSION, SIGNERS, record, signed

SIGNER_KEYS = {service: signer.public_key for service, signer in SIGNERS.items()}


def _exported(tmp_path: Path, unsigned: int = 0) -> tuple[Path, Signer]:
    ledger = SqliteLedger.open(tmp_path / "audit.sqlite3")
    signer = Signer.from_file(tmp_path / "key.pem", "test/audit")
    store(ledger, [signed(record(case_id=f"c-{i}"), i) for i in range(5)], ADMISSION)
    ledger.append([leaf_of(record()) for _ in range(unsigned)])
    checkpoint_now(ledger, signer, "test/audit")
    export(ledger, tmp_path / "out", signer.verifier_key, SIGNER_KEYS)
    ledger.close()
    return tmp_path / "out", signer


def test_a_signed_export_verifies_with_the_producers_keys(tmp_path: Path) -> None:
    folder, signer = _exported(tmp_path)
    report = verify_export(folder, parse_verifier_key(signer.verifier_key), signers=SIGNER_KEYS)
    assert report.ok and "each signed by its producer" in report.message, report.message
    argv = ["verify-export", "--key", str(folder / "verifier_key.txt"), "--signers", str(folder / "signers.json")]
    assert cli.main([*argv, str(folder)]) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unsigned_leaf_fails_when_the_signers_are_given(tmp_path: Path, workers: int) -> None:
    folder, signer = _exported(tmp_path, unsigned=1)
    key = parse_verifier_key(signer.verifier_key)
    assert verify_export(folder, key).ok  # the tree alone holds
    report = verify_export(folder, key, workers=workers, chunk_bytes=600, signers=SIGNER_KEYS)
    assert not report.ok and report.message == "entry 5: producer signature: not signed"


def test_a_signature_moved_to_another_entry_is_named(tmp_path: Path) -> None:
    folder, signer = _exported(tmp_path)
    lines = (folder / "entries.jsonl").read_text().splitlines()
    signature = json.loads(lines[0])["signature"]
    lines[3] = lines[3].replace(json.loads(lines[3])["signature"], signature)
    (folder / "entries.jsonl").write_text("\n".join(lines) + "\n")
    report = verify_export(folder, parse_verifier_key(signer.verifier_key), signers=SIGNER_KEYS)
    assert (
        not report.ok and report.message == "entry 3: producer signature: signature does not verify with notifier's key"
    )
