"""Moving the notifier's clock in end-to-end tests: restart it with DRR_NOTIFIER_CLOCK_OFFSET_S, so that
reminders and overdue actions days ahead fall due now, then restart it on real time again."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from deploy.local.stack import Stack
from tests.e2e.test_case_history import eventually

OFFSET = "DRR_NOTIFIER_CLOCK_OFFSET_S"


@contextmanager
def notifier_clock_at(stack: Stack, moment: datetime) -> Iterator[None]:
    """The notifier runs as if it were `moment` (a graceful restart: what it consumed is committed)."""
    restart_notifier(stack, {OFFSET: str((moment - datetime.now(UTC)).total_seconds())})
    try:
        yield
    finally:
        restart_notifier(stack, {})


def restart_notifier(stack: Stack, env: dict[str, str]) -> None:
    stack.extra_env.pop(OFFSET, None)
    stack.extra_env.update(env)
    stack.stop_service("notifier")
    stack.start_service("notifier")


def case_events_seen(stack: Stack) -> float:
    """The notifier's count of drr.events consumed by its own consumer (teams, reminders, panel actions)."""
    text = httpx.get(f"{stack.url('notifier')}/metrics").text
    found = re.search(r"^drr_notifier_case_events_total (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def wait_until_folded(stack: Stack, before: float, posted: int) -> None:
    """Until the notifier's case-events consumer has taken `posted` more events (nothing else posts meanwhile)."""
    eventually(lambda: case_events_seen(stack) >= before + posted, 60, f"{posted} events folded by the notifier")
