"""`audit`: the ledger's operator commands, against the database the DRR_AUDIT_* settings name.

audit tokens issue --name NAME   print a new oversight bearer token (only its hash is stored)
audit export --out DIR           write the ledger and every checkpoint for drr-verify verify-export
audit key                        print the verifier key oversight bodies pin
audit db-init --owner-url URL    PostgreSQL: create the role DRR_AUDIT_DATABASE_URL names, the schema,
                                 its append-only triggers, and grant that role INSERT and SELECT only
"""

import argparse
import sys
from pathlib import Path

from services.audit.bootstrap import AuditSettings, open_ledger, signer, signer_texts
from services.audit.export import export
from services.audit.tokens import issue


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="audit", description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    commands = main.add_subparsers(dest="command", required=True)
    tokens = commands.add_parser("tokens").add_subparsers(dest="action", required=True)
    tokens.add_parser("issue").add_argument("--name", required=True, help="the oversight body, e.g. 'ICO'")
    commands.add_parser("export").add_argument("--out", required=True)
    commands.add_parser("key")
    commands.add_parser("db-init").add_argument("--owner-url", required=True, help="a URL of the database owner")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = AuditSettings()
    if args.command == "db-init":
        return _db_init(settings, args.owner_url)
    ledger = open_ledger(settings)
    try:
        if args.command == "tokens":
            sys.stdout.write(issue(ledger, args.name) + "\n")
        elif args.command == "export":
            count = export(ledger, Path(args.out), signer(settings).verifier_key, signer_texts(settings))
            sys.stdout.write(f"{count} entries exported to {args.out}\n")
        else:
            sys.stdout.write(signer(settings).verifier_key + "\n")
    finally:
        ledger.close()
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
