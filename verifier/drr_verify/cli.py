"""`drr-verify`: verify-checkpoint, verify-inclusion, verify-consistency, verify-export.

Each takes the log's verifier key (`--key`, the text or a file holding it), obtained from the log
operator out of band; verify-inclusion and verify-export also take `--signers` (a JSON file of
service -> base64 Ed25519 public key, from the services' operators) to check every entry's producer.
Exit status 0 means verified, 1 means it did not verify (and says what).
"""

import argparse
import json
import sys
from pathlib import Path

from drr_verify.export import verify_export
from drr_verify.notes import VerifierKey, open_checkpoint, parse_verifier_key
from drr_verify.pages import consistent, unproven_entries
from drr_verify.records import public_keys


def _key(value: str) -> VerifierKey:
    path = Path(value)
    return parse_verifier_key(path.read_text() if path.is_file() else value)


def _checkpoint(args: argparse.Namespace) -> tuple[bool, str]:
    checkpoint = open_checkpoint(Path(args.note).read_text(), _key(args.key))
    if checkpoint is None:
        return False, "checkpoint signature or format does not verify"
    return True, f"checkpoint verified: {checkpoint.origin} size {checkpoint.size}"


def _inclusion(args: argparse.Namespace) -> tuple[bool, str]:
    page = json.loads(Path(args.page).read_text())
    signers = _signers(args)
    bad = unproven_entries(page, _key(args.key), None if signers is None else public_keys(signers))
    if bad:
        return False, f"entry {bad[0]} is not proven included ({len(bad)} entries fail)"
    return True, f"{len(page['entries'])} entries proven included"


def _consistency(args: argparse.Namespace) -> tuple[bool, str]:
    proof = json.loads(Path(args.proof).read_text())["proof"]
    if consistent(Path(args.old).read_text(), Path(args.new).read_text(), proof, _key(args.key)):
        return True, "the newer checkpoint extends the older one"
    return False, "consistency proof does not verify"


def _signers(args: argparse.Namespace) -> dict[str, str] | None:
    if args.signers is None:
        return None
    signers: dict[str, str] = json.loads(Path(args.signers).read_text())
    public_keys(signers)  # a bad file is refused before any entry is read
    return signers


def _export(args: argparse.Namespace) -> tuple[bool, str]:
    report = verify_export(Path(args.folder), _key(args.key), signers=_signers(args))
    return report.ok, report.message


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="drr-verify", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    for name, handler, positional in [
        ("verify-checkpoint", _checkpoint, ["note"]),
        ("verify-inclusion", _inclusion, ["page"]),
        ("verify-consistency", _consistency, ["old", "new", "proof"]),
        ("verify-export", _export, ["folder"]),
    ]:
        command = commands.add_parser(name)
        command.add_argument("--key", required=True, help="verifier key text, or a file holding it")
        if name in ("verify-inclusion", "verify-export"):
            command.add_argument("--signers", help="a JSON file of the producers' public keys: check each entry's")
        for argument in positional:
            command.add_argument(argument)
        command.set_defaults(handler=handler)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    ok, message = args.handler(args)
    print(("OK: " if ok else "FAILED: ") + message)  # noqa: T201 - a command-line tool's output
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
