"""`intake keys issue|revoke|list`: manage the API keys agency systems publish with.

    intake keys issue --agency prison --system nomis [--event-types 'release.*,trigger.reported']
    intake keys revoke KEY_ID
    intake keys list
    intake receipts prune

The key is printed once, at issue; only its SHA-256 is stored (DRR_INTAKE_DB_PATH, or --db).
`receipts prune` deletes idempotency receipts older than DRR_INTAKE_IDEMPOTENCY_RETENTION_S once (intake
itself does so every DRR_INTAKE_PRUNE_INTERVAL_S) and prints how many.
"""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from services.intake.access import DEFAULT_PERMISSIONS, ApiKey, KeyRepository, check_patterns, hash_key, new_key
from services.intake.bootstrap import IntakeSettings
from services.intake.pruning import ClaimPruner
from services.intake.store import SqliteStore
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
    return root


def run(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = IntakeSettings()
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
