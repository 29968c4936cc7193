"""Chaos benchmark (not a test): each chosen service SIGKILLed mid-stream `--runs` times, at random moments,
then started again; prints lost / duplicated / marked emails per service, and each failing run's details.

    .venv/bin/python bench/chaos.py [--runs 20] [--services router,notifier,audit,intake,mailsink,broker]
        [--seed N] [--cases 20] [--triggers 200] [--rate 20] [--down 2.5] [--settle 120]

One stack per service (own ports shifted by DRR_E2E_PORT_OFFSET, temporary folder), fresh cases per run.
Run n of a service uses seed + n, so `--seed S --runs 1` replays the first run printed as seed=S.
Exits 1 if any run lost an email, sent an unmarked duplicate, had an event refused, or failed to verify.
"""

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from deploy.local.chaos import FAULTS, ChaosPlan, ChaosResult, Mailbox, run_chaos
from deploy.local.stack import Ports, Stack

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0"))
PORTS = Ports(*(port + OFFSET for port in (39092, 39093, 38001, 38002, 38003, 38004, 38025)))
ENV = {
    "DRR_LOG_LEVEL": "WARNING",
    "DRR_NOTIFIER_RETRY_MAX_DELAY_S": "1",
    "DRR_AUDIT_DECISION_DEADLINE_S": "10",
    "DRR_AUDIT_DELIVERY_WINDOW_S": "20",
    "DRR_AUDIT_COMPLETENESS_CHECK_S": "1",
}
"""As the e2e stack, the notifier retries a refused SMTP connection every second (not every 30 s); the
audit service's completeness check (where it has one) alarms within seconds, so each run can read it."""
COMPLETENESS_AFTER_S = 25.0
"""The delivery window above, a check and a margin: when each run reads the completeness gauges."""


def runs_of(service: str, plan: ChaosPlan, runs: int) -> list[ChaosResult]:
    with tempfile.TemporaryDirectory(prefix=f"drr-chaos-{service}-") as var:
        stack = Stack(Path(var), PORTS, ENV)
        stack.start()
        try:
            mailbox, results = Mailbox(stack.maildir), []
            for n in range(runs):
                result = run_chaos(stack, replace(plan, service=service, seed=plan.seed + n), mailbox, Path(var))
                print(("ok   " if result.ok else "FAIL ") + result.describe(), flush=True)
                results.append(result)
            return results
        finally:
            stack.stop()


def table(results: dict[str, list[ChaosResult]]) -> str:
    head = "| service | runs | emails owed | lost | duplicated (unmarked) | marked duplicates | runs failed |"
    rows = [head, "|---|---:|---:|---:|---:|---:|---:|"]
    for service, done in results.items():
        owed = sum(r.tally.expected for r in done)
        lost = sum(len(r.tally.lost) for r in done)
        duplicated, marked = sum(r.tally.duplicated for r in done), sum(r.tally.marked for r in done)
        failed = sum(not r.ok for r in done)
        rows.append(f"| {service} | {len(done)} | {owed} | {lost} | {duplicated} | {marked} | {failed} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--services", default=",".join(FAULTS))
    parser.add_argument("--seed", type=int, default=random.randrange(1, 10**6))
    parser.add_argument("--cases", type=int, default=ChaosPlan.cases)
    parser.add_argument("--triggers", type=int, default=ChaosPlan.triggers)
    parser.add_argument("--rate", type=float, default=ChaosPlan.rate_per_s)
    parser.add_argument("--down", type=float, default=ChaosPlan.down_s)
    parser.add_argument("--settle", type=float, default=ChaosPlan.settle_timeout_s, help="deadline for the mail")
    args = parser.parse_args()
    services = args.services.split(",")
    timing = {"down_s": args.down, "settle_timeout_s": args.settle, "completeness_after_s": COMPLETENESS_AFTER_S}
    plans = [ChaosPlan(s, args.seed, args.cases, args.triggers, args.rate, **timing) for s in services]
    print(f"seed={args.seed} runs={args.runs} cases={args.cases} triggers={args.triggers} rate={args.rate}/s")
    started, results = time.monotonic(), {}
    for plan in plans:
        results[plan.service] = runs_of(plan.service, plan, args.runs)
    print("\n" + table(results))
    print(f"\nwall time {time.monotonic() - started:.0f} s")
    sys.exit(1 if any(not r.ok for done in results.values() for r in done) else 0)


if __name__ == "__main__":
    main()
