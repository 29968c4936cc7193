"""`intake keys issue|revoke|list`: manage the API keys agency systems publish with.

    intake keys issue --agency prison --system nomis [--event-types 'release.*,trigger.reported']
    intake keys revoke KEY_ID
    intake keys list
    intake receipts prune
    intake kek rotate [--file PATH] | rewrap [--to URI] | retire [--file PATH]

The key is printed once, at issue; only its SHA-256 is stored (DRR_INTAKE_DB_PATH, or --db).
`receipts prune` deletes idempotency receipts older than DRR_INTAKE_IDEMPOTENCY_RETENTION_S once (intake
itself does so every DRR_INTAKE_PRUNE_INTERVAL_S) and prints how many.

Rotating the key-encryption key (DRR_INTAKE_KEK_URI, the same key as DRR_NOTIFIER_KEK_URI) without
touching any sealed data: `kek rotate` adds a new primary key to the keyset file (the old one still
unwraps); copy the file to every intake and notifier instance and restart them; `kek rewrap` publishes
every case's data key wrapped under the new primary; `kek retire` then removes the old key from the file
(copy it again). With a KMS, create the new key there and run `kek rewrap --to NEW_URI`, then point
both services at NEW_URI.
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from services.intake.access import DEFAULT_PERMISSIONS, ApiKey, KeyRepository, check_patterns, hash_key, new_key
from services.intake.bootstrap import IntakeSettings
from services.intake.pruning import ClaimPruner
from services.intake.store import SqliteStore
from shared.case_crypto import retire_old_keys, rewrap_all, rotate_kek_file
from shared.digests import DigestKey
from shared.roles import Agency


def issue_key(
    keys: KeyRepository, *, agency: Agency, system: str, event_types: list[str] | None = None
) -> tuple[ApiKey, str]:
    """A new key for one agency system; returns the stored record and the key itself (shown once). Behind
    `intake keys issue`; the local stack, the benchmark and the tests issue their keys with it too."""
    patterns = tuple(event_types) if event_types else DEFAULT_PERMISSIONS[agency]
    check_patterns(patterns)
    key_id, secret = new_key()
    record = ApiKey(key_id, hash_key(secret), agency, system, patterns, datetime.now(UTC))
    keys.add_key(key=record)
    return record, secret


def issue_agency_keys(keys: KeyRepository, *, system: str) -> dict[Agency, str]:
    """One key per agency with its default permissions, revoking earlier keys of the same system:
    the local stack and the demo use these."""
    for old in keys.list_keys():
        if old.system == system and not old.revoked:
            keys.revoke_key(key_id=old.key_id)
    return {agency: issue_key(keys, agency=agency, system=system)[1] for agency in Agency}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="intake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    root.add_argument("--db", type=Path, help="the intake database (default: DRR_INTAKE_DB_PATH)")
    groups = root.add_subparsers(dest="group", required=True)
    keys = groups.add_parser("keys").add_subparsers(dest="command", required=True)
    issue = keys.add_parser("issue", help="issue a key for one agency system")
    issue.add_argument("--agency", required=True, choices=[a.value for a in Agency])
    issue.add_argument("--system", required=True)
    issue.add_argument("--event-types", help="comma-separated patterns (default: the agency's defaults)")
    keys.add_parser("revoke", help="revoke a key by id").add_argument("key_id")
    keys.add_parser("list", help="every key, without secrets")
    receipts = groups.add_parser("receipts").add_subparsers(dest="command", required=True)
    receipts.add_parser("prune", help="delete idempotency receipts older than the retention, once")
    kek = groups.add_parser("kek").add_subparsers(dest="command", required=True)
    kek.add_parser("rotate", help="add a new primary key to the KEK file").add_argument("--file", type=Path)
    kek.add_parser("rewrap", help="wrap every data key anew (under --to, default the configured KEK)").add_argument(
        "--to"
    )
    kek.add_parser("retire", help="remove every KEK key but the primary from the file").add_argument(
        "--file", type=Path
    )
    return root


def run_kek(command: str, args: argparse.Namespace, settings: IntakeSettings) -> int:
    if command == "rewrap":
        options, digests = settings.kafka_access().client_options(), DigestKey.from_file(settings.digest_key_path)
        count = asyncio.run(rewrap_all(options, digests, settings.kek_uri, args.to or settings.kek_uri))
        sys.stdout.write(f"rewrapped {count} data keys\n")
        return 0
    path = args.file or Path(settings.kek_uri.removeprefix("file:"))
    if command == "rotate":
        sys.stdout.write(f"new primary key {rotate_kek_file(path)} in {path}: copy it to every intake and notifier\n")
    else:
        sys.stdout.write(f"retired {retire_old_keys(path)} old keys from {path}\n")
    return 0


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = IntakeSettings()
    if args.group == "kek":
        return run_kek(args.command, args, settings)
    store = SqliteStore(args.db or settings.db_path)
    try:
        if args.group == "receipts":
            sys.stdout.write(f"pruned {ClaimPruner(settings, store).prune_once()} idempotency receipts\n")
        elif args.command == "issue":
            patterns = [p.strip() for p in args.event_types.split(",")] if args.event_types else None
            try:
                record, key = issue_key(store, agency=Agency(args.agency), system=args.system, event_types=patterns)
            except ValueError as exc:
                sys.stderr.write(f"{exc}\n")
                return 2
            sys.stdout.write(f"key id: {record.key_id}\nevent types: {','.join(record.event_types)}\n{key}\n")
        elif args.command == "revoke":
            if not store.revoke_key(key_id=args.key_id):
                sys.stderr.write(f"no active key {args.key_id}\n")
                return 1
            sys.stdout.write(f"revoked {args.key_id}\n")
        else:
            for k in store.list_keys():
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                sys.stdout.write(
                    f"{k.key_id}  {k.agency.value:<15} {k.system:<24} {state:<18} {','.join(k.event_types)}\n"
                )
        return 0
    finally:
        store.close()


def main() -> None:
    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
