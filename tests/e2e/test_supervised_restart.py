"""`make run`'s supervisor on the real stack: a notifier that crashes (SIGKILL, no shutdown code) is
restarted after its backoff, says so, and the next alert still reaches the team."""

import uuid

from test_case_history import eventually

from deploy.local.demo_case import CASE_MANAGER, envelope, opening
from deploy.local.mail import messages
from deploy.local.processes import http_ok
from deploy.local.stack import Stack
from deploy.local.supervisor import Backoff, Supervisor
from shared.examples import EXAMPLES


def test_a_crashed_notifier_is_restarted_and_email_flows_again(stack: Stack) -> None:
    case_id = f"E2E-SUPERVISED-{uuid.uuid4().hex[:8]}"
    setup = [opening(case_id), envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER})]
    assert {a.status_code for a in stack.post_events(setup)} == {202}
    said: list[str] = []
    supervisor = Supervisor(stack.processes, Backoff(first_s=1), said.append, poll_s=0.2)
    supervisor.start()
    try:
        notifier = next(p for p in stack.processes if p.name == "notifier")
        crashed_pid = notifier.pid
        assert notifier.popen is not None
        notifier.popen.kill()  # a crash: the process is still the stack's, nobody stopped it

        eventually(lambda: notifier.alive() and notifier.pid != crashed_pid, what="the notifier restarted")
        assert said[0].startswith("supervisor: notifier exited (code -9); restarting in 1s (crash 1 in a row")
        assert said[1] == f"supervisor: notifier restarted (pid {notifier.pid})"
        eventually(lambda: http_ok(f"{stack.url('notifier')}/healthz"), what="the restarted notifier healthy")

        trigger = envelope(case_id, "trigger.reported", EXAMPLES["trigger.reported"], "police")
        assert {a.status_code for a in stack.post_events([trigger])} == {202}
        mails = eventually(lambda: messages(stack.maildir, case_id) or None, what="the alert after the restart")
        assert isinstance(mails, list) and CASE_MANAGER["email"] in str(mails[0]["To"])
    finally:
        supervisor.stop()
    assert len(said) == 2, said  # the other services never went down
