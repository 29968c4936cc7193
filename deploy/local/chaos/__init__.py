"""Chaos runs: stream a case history through the real stack, SIGKILL one service (or the broker) at a
random moment, start it again, and count per (event, recipient) what was lost or sent twice.

Shared by the e2e tests (tests/e2e/test_chaos.py) and the benchmark (bench/chaos.py):

    result = run_chaos(stack, ChaosPlan("router", seed=1234), mailbox=Mailbox(stack.maildir), workdir=tmp)
    assert result.ok, result.describe()
"""

from deploy.local.chaos.faults import FAULTS
from deploy.local.chaos.mailbox import Mailbox
from deploy.local.chaos.run import ChaosPlan, ChaosResult, run_chaos
from deploy.local.chaos.tally import Tally

__all__ = ["FAULTS", "ChaosPlan", "ChaosResult", "Mailbox", "Tally", "run_chaos"]
