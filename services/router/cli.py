"""`router erase CASE_ID --legal-basis TEXT`: a data protection officer's erasure of one case, now.

    python -m services.router.cli erase DRR-123 --legal-basis "GDPR Art. 17(1)(a): no longer necessary"

It publishes the erasure command to drr.erasures (the router's Kafka principal, or the admin's: DRR_ROUTER_*
settings), which the running router and notifier apply exactly as a retention sweep's (erasing.py): the
case's keys destroyed, its table entries deleted, a `case.erased` audit record naming rule `dpo-request`
and the legal basis given. It cannot be undone.
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime

from services.router.bootstrap import RouterSettings
from shared import topics
from shared.erasures import DPO_REQUEST, Erasure
from shared.kafka import durable_producer
from shared.settings import read_settings


async def request_erasure(options: dict[str, object], case_id: str, legal_basis: str) -> Erasure:
    erasure = Erasure(case_id=case_id, rule=DPO_REQUEST, legal_basis=legal_basis, due_at=datetime.now(UTC),
                      requested_by="dpo")  # fmt: skip
    producer = durable_producer(options)
    await producer.start()
    try:
        await producer.send_and_wait(topics.ERASURES, erasure.model_dump_json().encode(), key=case_id.encode())
    finally:
        await producer.stop()
    return erasure


def main(argv: list[str]) -> int:
    root = argparse.ArgumentParser(
        prog="router", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    erase = commands.add_parser("erase", help="erase one case now (crypto-shredding); cannot be undone")
    erase.add_argument("case_id")
    erase.add_argument("--legal-basis", required=True, help="why: recorded in the case.erased audit record")
    args = root.parse_args(argv)
    options = read_settings(RouterSettings).kafka_access().client_options()
    erasure = asyncio.run(request_erasure(options, args.case_id, args.legal_basis))
    sys.stdout.write(f"erasure of case {erasure.case_id} requested at {erasure.due_at.isoformat()}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
