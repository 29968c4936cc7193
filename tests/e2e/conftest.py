"""The whole system on a real Apache Kafka broker, started once for the e2e session and stopped after.

It runs on its own ports and in its own folder, so it never meets a `make run` on the same machine.
"""

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.local.stack import Ports, Stack

OFFSET = int(os.environ.get("DRR_E2E_PORT_OFFSET", "0"))
"""Shifts every port, so that two e2e runs on one machine (say, two worktrees) do not collide."""
TEST_PORTS = Ports(*(port + OFFSET for port in (19092, 19093, 18001, 18002, 18003, 18004, 18025)))


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Stack]:
    stack = Stack(
        tmp_path_factory.mktemp("stack"), TEST_PORTS, {"DRR_LOG_LEVEL": "INFO", "DRR_NOTIFIER_RETRY_MAX_DELAY_S": "1"}
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
        if request.session.testsfailed:
            _show_logs(stack.var_dir / "logs")


def _show_logs(logs: Path, lines: int = 40) -> None:
    """A failed CI run should explain itself: the last lines of every service's log."""
    for log in sorted(logs.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        sys.stderr.write(f"\n==== {log.name} ====\n" + "\n".join(tail) + "\n")
