"""Restart a crashed local service with backoff, and say so.

`make run` has no process manager: without this, one service that dies (the notifier on an address it
could not send, say) stops the whole pipeline silently until someone looks. In production Kubernetes
or systemd does this job; locally the supervisor does it, for `make run` only. The tests' Stack runs
without it, so that a crash there is a failure the test sees, not one quietly papered over.

A process that keeps crashing waits longer each time (1 s, 2 s, 4 s ... up to a minute), so a crash loop
on one bad message does not burn the machine; once it has stayed up for a while it counts as healthy
again and the next crash is restarted after the first delay.
"""

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from deploy.local.processes import Process


@dataclass(frozen=True)
class Backoff:
    first_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    stable_s: float = 60.0
    """Up this long since its last restart: the process is healthy again, and its crash count is reset."""

    def delay(self, crashes_in_a_row: int) -> float:
        """The wait before restarting after the n-th crash in a row (n >= 1)."""
        return min(self.max_s, self.first_s * self.factor ** (crashes_in_a_row - 1))


@dataclass
class Watch:
    """What the supervisor knows of one process between checks."""

    started_at: float
    crashes_in_a_row: int = 0
    restart_at: float | None = None
    """Set while the process is down and waiting out its backoff."""


@dataclass
class Supervisor:
    processes: Sequence[Process]
    """Watched as they are at each check (the Stack's own list: a service stopped on purpose leaves it)."""
    backoff: Backoff = Backoff()
    say: Callable[[str], None] = print
    clock: Callable[[], float] = time.monotonic
    poll_s: float = 0.5
    _watches: dict[str, Watch] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def check(self) -> None:
        """One look at every process: note a crash and when to restart it, restart what is due."""
        now = self.clock()
        for process in list(self.processes):
            watch = self._watches.setdefault(process.name, Watch(started_at=now))
            if process.alive():
                if watch.crashes_in_a_row and now - watch.started_at >= self.backoff.stable_s:
                    watch.crashes_in_a_row = 0
                continue
            if watch.restart_at is None:
                self._crashed(process, watch, now)
            elif now >= watch.restart_at:
                self._restart(process, watch, now)

    def _crashed(self, process: Process, watch: Watch, now: float) -> None:
        watch.crashes_in_a_row += 1
        wait = self.backoff.delay(watch.crashes_in_a_row)
        watch.restart_at = now + wait
        code = process.popen.returncode if process.popen else None
        self.say(
            f"supervisor: {process.name} exited (code {code}); restarting in {wait:g}s"
            f" (crash {watch.crashes_in_a_row} in a row; its log: {process.log_path})"
        )

    def _restart(self, process: Process, watch: Watch, now: float) -> None:
        process.start()
        watch.started_at, watch.restart_at = now, None
        self.say(f"supervisor: {process.name} restarted (pid {process.pid})")

    def start(self) -> None:
        """Check every `poll_s` on a daemon thread until `stop`."""
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Before the stack stops its processes: a process stopped on purpose is not restarted."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.check()
