"""The local runner's supervisor, on real processes that crash, with a clock the test moves."""

import sys
import time
from pathlib import Path

import pytest

from deploy.local.processes import Process
from deploy.local.supervisor import Backoff, Supervisor


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def crashing(tmp_path: Path, code: int = 3) -> Process:
    return Process("notifier", [sys.executable, "-c", f"raise SystemExit({code})"], tmp_path / "n.log").start()


def long_running(tmp_path: Path) -> Process:
    return Process("router", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "r.log").start()


def exited(process: Process) -> None:
    assert process.popen is not None
    process.popen.wait(10)


@pytest.fixture
def said() -> list[str]:
    return []


def test_a_crash_loop_waits_twice_as_long_each_time_and_says_so(tmp_path: Path, said: list[str]) -> None:
    clock, process = Clock(), crashing(tmp_path)
    supervisor = Supervisor([process], Backoff(first_s=1, factor=2, max_s=60), said.append, clock)
    restarts_at = []
    for wait in (1, 2, 4):
        exited(process)
        crashed_at, pid = clock.now, process.pid
        supervisor.check()
        clock.now = crashed_at + wait - 0.01
        supervisor.check()  # still waiting out its backoff: not restarted yet
        assert process.pid == pid and not process.alive()
        clock.now = crashed_at + wait
        supervisor.check()
        assert process.pid != pid and said[-1] == f"supervisor: notifier restarted (pid {process.pid})"
        restarts_at.append(clock.now)
    exited(process)
    waits = [line for line in said if "exited" in line]
    assert [w.split("restarting in ")[1].split(" ")[0] for w in waits] == ["1s", "2s", "4s"]
    assert all("(code 3)" in w and str(tmp_path / "n.log") in w for w in waits)
    assert restarts_at == [1.0, 3.0, 7.0]


def test_the_wait_is_capped() -> None:
    assert [Backoff(first_s=1, factor=2, max_s=60).delay(n) for n in (1, 6, 7, 20)] == [1, 32, 60, 60]


def test_a_process_that_stayed_up_is_healthy_again_and_starts_from_the_first_wait(
    tmp_path: Path, said: list[str]
) -> None:
    clock, process = Clock(), long_running(tmp_path)
    supervisor = Supervisor([process], Backoff(first_s=1, factor=2, stable_s=60), said.append, clock)
    try:
        for step in ("crash", "crash again soon"):
            process.kill()
            supervisor.check()
            clock.now += 10
            supervisor.check()
            assert process.alive(), step
        assert [line.split("restarting in ")[1][:2] for line in said if "exited" in line] == ["1s", "2s"]
        clock.now += 60
        supervisor.check()  # up a minute since its restart: healthy
        process.kill()
        supervisor.check()
        assert said[-1].startswith("supervisor: router exited") and "restarting in 1s (crash 1 in a row" in said[-1]
    finally:
        process.kill()


def test_a_service_stopped_on_purpose_or_after_the_supervisor_stops_is_left_down(
    tmp_path: Path, said: list[str]
) -> None:
    stopped_on_purpose, stopped_later = long_running(tmp_path), long_running(tmp_path)
    watched = [stopped_on_purpose, stopped_later]
    supervisor = Supervisor(watched, Backoff(first_s=0.05), said.append, poll_s=0.02)
    supervisor.start()
    try:
        watched.remove(stopped_on_purpose)  # as Stack.stop_service does
        stopped_on_purpose.stop()
        time.sleep(0.3)
        assert not stopped_on_purpose.alive() and said == []
        supervisor.stop()
        stopped_later.stop()
        time.sleep(0.3)
        assert not stopped_later.alive() and said == []
    finally:
        for process in (stopped_on_purpose, stopped_later):
            process.kill()
