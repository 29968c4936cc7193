"""One chaos run: fresh cases, a steady stream, one SIGKILL at a random moment, a restart, then the count.

The kill moment is drawn from `kill_window_s` (seconds after the stream starts) by a generator seeded
with `seed`: a failing run is replayed by passing its seed again (`DRR_CHAOS_SEED`, `bench/chaos.py --seed`).
"""

import random
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

from deploy.local.chaos.faults import FAULTS, crash, recover
from deploy.local.chaos.ledger import Completeness, ledger_verifies, read_completeness
from deploy.local.chaos.mailbox import Mailbox
from deploy.local.chaos.stream import RECIPIENTS, Publisher, team_events, triggers
from deploy.local.chaos.tally import Tally, tally
from deploy.local.stack import Stack
from shared.deliveries import delivery_id_for


@dataclass(frozen=True)
class ChaosPlan:
    service: str
    seed: int
    cases: int = 20
    triggers: int = 200
    rate_per_s: float = 20.0
    kill_window_s: tuple[float, float] = (1.0, 7.0)
    """The kill lands this many seconds into the stream (200 triggers at 20/s last 10 s): the restarted
    service meets the stream still flowing (as in issue 11's router runs) or, late, only its backlog."""
    down_s: float = 2.5
    """How long the killed service stays down before the "supervisor" starts it again."""
    settle_timeout_s: float = 120.0
    quiet_s: float = 3.0
    """Once every owed email is there, how long no further copy may arrive (a late duplicate would)."""
    completeness_after_s: float = 0.0
    """Read the audit service's completeness gauges no sooner than this after the stream ended: past its
    decision deadline and delivery window (plus a check), anything never decided or finished is an alarm."""

    def __post_init__(self) -> None:
        if self.service not in FAULTS:
            raise ValueError(f"unknown service {self.service!r}: one of {', '.join(FAULTS)}")

    def kill_at_s(self) -> float:
        return round(random.Random(self.seed).uniform(*self.kill_window_s), 2)


@dataclass(frozen=True)
class ChaosResult:
    plan: ChaosPlan
    kill_at_s: float
    accepted: int
    refused: tuple[str, ...]
    """Event ids intake never accepted, even after every retry, with its last answer (not owed: a finding)."""
    retries: int
    tally: Tally
    lost_pairs: tuple[tuple[str, str], ...]
    """(event id, recipient id) for each lost delivery."""
    ledger_ok: bool
    ledger_message: str
    completeness: Completeness
    wall_s: float
    case_ids: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        complete = not any(self.completeness.values())  # every gauge served reads 0
        return self.tally.ok and self.ledger_ok and not self.refused and complete

    def describe(self) -> str:
        t = self.tally
        lines = [
            f"{self.plan.service} seed={self.plan.seed} kill_at={self.kill_at_s}s accepted={self.accepted} "
            f"refused={len(self.refused)} retries={self.retries} expected={t.expected} lost={len(t.lost)} "
            f"duplicated={t.duplicated} marked={t.marked} ledger={self.ledger_message} "
            f"completeness={self.completeness} wall={self.wall_s:.1f}s"
        ]
        lines += [f"  lost: event {event} -> {recipient}" for event, recipient in self.lost_pairs[:20]]
        lines += [f"  refused: event {event}" for event in self.refused[:20]]
        return "\n".join(lines)


def run_chaos(stack: Stack, plan: ChaosPlan, mailbox: Mailbox, workdir: Path) -> ChaosResult:
    started = time.monotonic()
    case_ids = [f"CHAOS-{plan.service}-{plan.seed}-{uuid.uuid4().hex[:6]}-{n}" for n in range(plan.cases)]
    publisher = Publisher(stack.url("intake"), stack.api_keys["probation"])
    try:
        publisher.publish_all([e for case_id in case_ids for e in team_events(case_id)])
        outcomes, supervisor = _stream_with_a_kill(stack, plan, publisher, case_ids)
        streamed = time.monotonic()
    finally:
        publisher.close()
    accepted = [event for event, future in outcomes if future.result()]
    refused = tuple(f"{event} ({publisher.refusals.get(event)})" for event, future in outcomes if not future.result())
    owed = {str(delivery_id_for(UUID(e), r)): (e, r) for e in accepted for r in RECIPIENTS}
    supervisor.result()  # a service that would not start again is a failed run, raised
    _settle(mailbox, list(owed), plan)
    counted = tally(list(owed), {d: mailbox.copies(d) for d in owed})
    ledger = ledger_verifies(stack, workdir / f"export-{plan.service}-{plan.seed}")
    time.sleep(max(0.0, streamed + plan.completeness_after_s - time.monotonic()))
    return ChaosResult(
        plan, plan.kill_at_s(), len(accepted), refused, publisher.retries, counted,
        tuple(owed[d] for d in counted.lost), ledger.ok, ledger.message, read_completeness(stack),
        time.monotonic() - started, tuple(case_ids),
    )  # fmt: skip


def _stream_with_a_kill(
    stack: Stack, plan: ChaosPlan, publisher: Publisher, case_ids: list[str]
) -> tuple[list[tuple[str, Future[bool]]], Future[None]]:
    """The stream on this thread; the kill, the pause and the restart on another, at the drawn moment."""
    stream = publisher.stream(triggers(case_ids, plan.triggers), plan.rate_per_s)
    outcomes = [next(stream)]  # the stream has started: the kill is timed from here
    with ThreadPoolExecutor(1, thread_name_prefix="chaos-supervisor") as pool:
        supervisor = pool.submit(_kill_and_restart, stack, plan, plan.kill_at_s())
        outcomes += list(stream)
    return outcomes, supervisor


def _kill_and_restart(stack: Stack, plan: ChaosPlan, kill_at_s: float) -> None:
    time.sleep(kill_at_s)
    crash(stack, plan.service)
    time.sleep(plan.down_s)
    recover(stack, plan.service)


def _settle(mailbox: Mailbox, owed: list[str], plan: ChaosPlan) -> None:
    """Until every owed email is there and nothing more has arrived for `quiet_s`, or the deadline."""
    deadline = time.monotonic() + plan.settle_timeout_s
    last, quiet_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        mailbox.refresh()
        copies = [len(mailbox.copies(d)) for d in owed]
        if sum(copies) != last:
            last, quiet_since = sum(copies), time.monotonic()
        elif all(copies) and time.monotonic() - quiet_since >= plan.quiet_s:
            return
        time.sleep(0.5)
