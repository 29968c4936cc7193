"""`audit`: the ledger's operator commands, against the database the DRR_AUDIT_* settings name.

audit tokens issue --name NAME [--days D] [--agency A ...]
                                 print a new oversight bearer token (only its hash is stored), valid D days
                                 (default 90, at most 365), for the cases of the agencies named (default all)
audit tokens list                each token's id, name, scope, issued, expires and revoked (never the token)
audit tokens revoke --id ID | --name NAME
                                 revoke one token, or every token of that oversight body (a row of its own)
audit export --out DIR           write the ledger and every checkpoint for drr-verify verify-export
audit key                        print the verifier key oversight bodies pin
audit db-init --owner-url URL    PostgreSQL: create the role DRR_AUDIT_DATABASE_URL names, the schema,
                                 its append-only triggers, and grant that role INSERT and SELECT only
                                 (and the completeness check's own table: UPDATE and DELETE too)
audit completeness               print what the completeness check has alarmed on and is still missing
audit redrive EVENT_ID --by NAME send an accepted event's original bytes through drr.events again
                                 (audited as event.redriven; runs as the Kafka admin principal)
"""

import argparse
import sys
from pathlib import Path
from uuid import UUID

from services.audit.bootstrap import AuditSettings, open_ledger, signer, signer_texts
from services.audit.completeness.redrive import KafkaOptions, NotFound, redrive
from services.audit.export import export
from services.audit.records import SERVICE
from services.audit.store import SqlLedger
from services.audit.token_commands import add_token_commands, run_token_command
from shared.record_signing import RecordSigner
from shared.settings import AdminSettings


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="audit", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    add_token_commands(commands.add_parser("tokens").add_subparsers(dest="action", required=True))
    commands.add_parser("export").add_argument("--out", required=True)
    commands.add_parser("key")
    commands.add_parser("db-init").add_argument("--owner-url", required=True, help="a URL of the database owner")
    commands.add_parser("completeness")
    again = commands.add_parser("redrive")
    again.add_argument("event_id", type=_event_id)
    again.add_argument("--by", required=True, type=_operator, help="the operator's name, recorded in the ledger")
    again.add_argument("--timeout-s", type=float, default=60.0, help="how long to look for it on drr.events")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = AuditSettings()
    if args.command == "db-init":
        return _db_init(settings, args.owner_url)
    ledger = open_ledger(settings)
    try:
        if args.command == "tokens":
            return run_token_command(ledger, args)
        elif args.command == "completeness":
            _completeness(ledger)
        elif args.command == "redrive":
            return _redrive(ledger, settings, args.event_id, args.by, args.timeout_s)
        elif args.command == "export":
            count = export(ledger, Path(args.out), signer(settings).verifier_key, signer_texts(settings))
            sys.stdout.write(f"{count} entries exported to {args.out}\n")
        else:
            sys.stdout.write(signer(settings).verifier_key + "\n")
    finally:
        ledger.close()
    return 0


def _event_id(text: str) -> str:
    return str(UUID(text))  # ValueError: argparse says the event id is invalid


def _operator(text: str) -> str:
    name = text.strip()
    if not 0 < len(name) <= 100 or not name.isprintable():
        raise argparse.ArgumentTypeError("a printable name of 1 to 100 characters")
    return name


def kafka_options(settings: AuditSettings) -> KafkaOptions:
    """How the operator's commands reach Kafka: as the admin principal (DRR_ADMIN_KAFKA_*; locally from
    var/secrets/), since a redrive reads and writes drr.events, which the audit principal may not."""
    return AdminSettings().kafka_access().client_options()  # same DRR_KAFKA_BOOTSTRAP as `settings`


def _completeness(ledger: SqlLedger) -> None:
    """One line per alarm still open (ids only), then the counts the gauges show."""
    overdue = ledger.waits.overdue()
    for awaited in overdue:
        missing = "undecided event" if awaited.recipient_id is None else "unfinished delivery"
        to = "" if awaited.recipient_id is None else f" to {awaited.recipient_id}"
        sys.stdout.write(f"{missing} {awaited.event_id}{to} case {awaited.case_id} due {awaited.due_at}\n")
    undecided = sum(1 for a in overdue if a.recipient_id is None)
    sys.stdout.write(f"{undecided} undecided events, {len(overdue) - undecided} unfinished deliveries\n")


def _redrive(ledger: SqlLedger, settings: AuditSettings, event_id: str, by: str, timeout_s: float) -> int:
    try:
        own = RecordSigner.from_file(SERVICE, settings.record_key_path)
        original = redrive(kafka_options(settings), ledger.waits.received(event_id), event_id, by, timeout_s, own)
    except (NotFound, TimeoutError) as error:
        sys.stderr.write(f"redrive: {error}\n")
        return 1
    sys.stdout.write(f"event {event_id} sent again from drr.events {original.partition}@{original.offset}\n")
    return 0


def _db_init(settings: AuditSettings, owner_url: str) -> int:
    if settings.database_url is None:
        sys.stderr.write("db-init: set DRR_AUDIT_DATABASE_URL to the URL the service will connect with\n")
        return 2
    from services.audit.postgres_store import db_init  # only PostgreSQL needs the driver

    role = db_init(owner_url, settings.database_url.get_secret_value())
    sys.stdout.write(f"schema ready; role {role} may INSERT and SELECT only\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
