"""`audit tokens issue | list | revoke`: the operator's side of oversight tokens (tokens.py).

`issue` prints only the token on stdout (scripts read it from there) and its id and expiry on stderr.
"""

import argparse
import sys
from typing import Any

from services.audit.store import SqlLedger
from services.audit.tokens import DEFAULT_DAYS, MAX_DAYS, Grant, issue, listing, revoke
from shared.roles import Agency


def _name(text: str) -> str:
    name = text.strip()
    if not 0 < len(name) <= 100 or not name.isprintable():
        raise argparse.ArgumentTypeError("a printable name of 1 to 100 characters")
    return name


def _days(text: str) -> int:
    days = int(text)  # ValueError: argparse says the number is invalid
    if not 0 < days <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"1 to {MAX_DAYS} days")
    return days


def add_token_commands(tokens: Any) -> None:
    """`tokens`: the subparsers of `audit tokens`."""
    issuing = tokens.add_parser("issue")
    issuing.add_argument("--name", required=True, type=_name, help="the oversight body, e.g. 'ICO'")
    issuing.add_argument("--days", type=_days, default=DEFAULT_DAYS, help=f"valid for (default {DEFAULT_DAYS})")
    issuing.add_argument("--agency", action="append", default=[], choices=[a.value for a in Agency],
                         help="only this agency's cases (repeat for more; default: every case)")  # fmt: skip
    tokens.add_parser("list")
    revoking = tokens.add_parser("revoke").add_mutually_exclusive_group(required=True)
    revoking.add_argument("--id", help="the token's id, as `audit tokens list` shows it")
    revoking.add_argument("--name", type=_name, help="revoke every token of this oversight body")


def _line(grant: Grant) -> str:
    scope = ",".join(grant.scope) if grant.scope else "all cases"
    fields = (grant.id, grant.name, scope, grant.issued_at, grant.expires_at, grant.revoked_at or "-")
    return "\t".join(fields) + "\n"


def run_token_command(ledger: SqlLedger, args: argparse.Namespace) -> int:
    if args.action == "issue":
        token = issue(ledger, args.name, days=args.days, agencies=tuple(args.agency))
        grant = next(g for g in listing(ledger) if g.id == Grant.id_of(token))
        sys.stdout.write(token + "\n")
        sys.stderr.write(f"token {grant.id} for {grant.name} expires {grant.expires_at}\n")
    elif args.action == "list":
        sys.stdout.write("id\tname\tscope\tissued\texpires\trevoked\n")
        sys.stdout.writelines(_line(grant) for grant in listing(ledger))
    else:
        revoked = revoke(ledger, token_id=args.id, name=args.name)
        if not revoked:
            sys.stderr.write("revoke: no unrevoked token matches\n")
            return 1
        sys.stdout.writelines(f"revoked {grant.id} ({grant.name})\n" for grant in revoked)
    return 0
