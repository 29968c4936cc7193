"""`publish`: send events to intake from files, with retries and stable idempotency keys.

    DRR_API_KEY=drr_... DRR_INTAKE_URL=http://127.0.0.1:8001 publish event.json
    publish --batch events.jsonl        # one event per line, sent in batches of up to 500

Prints one JSON line per event (the receipt or the refusal); exits 1 if any event was refused.
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from services.intake.client import IntakeClient, PublishError


def run(argv: list[str], env: dict[str, str]) -> int:
    parser = argparse.ArgumentParser(
        prog="publish", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("file", type=Path, help="a JSON event, or with --batch a JSON-lines file of events")
    parser.add_argument("--batch", action="store_true")
    args = parser.parse_args(argv)
    if not env.get("DRR_API_KEY"):
        sys.stderr.write("set DRR_API_KEY to the key `intake keys issue` printed\n")
        return 2
    with IntakeClient(env.get("DRR_INTAKE_URL", "http://127.0.0.1:8001"), env["DRR_API_KEY"]) as client:
        results = _batch(client, args.file) if args.batch else [_single(client, args.file)]
    for result in results:
        sys.stdout.write(json.dumps(result) + "\n")
    return 1 if any(r.get("status") == "rejected" for r in results) else 0


def _single(client: IntakeClient, path: Path) -> dict[str, Any]:
    try:
        receipt = client.publish(json.loads(path.read_text()))
    except PublishError as exc:
        return {"status": "rejected", "http_status": exc.status, **exc.body}
    return {"status": "duplicate" if receipt.get("duplicate") else "accepted", **receipt}


def _batch(client: IntakeClient, path: Path) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return client.publish_batch(events)


def main() -> None:
    sys.exit(run(sys.argv[1:], dict(os.environ)))
