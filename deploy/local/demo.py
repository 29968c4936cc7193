"""Post a realistic case history through intake and print what each person received.

`python -m deploy.local.demo` against a running stack (`make run` runs it for you once).
"""

import os
import sys
import time
import uuid
from pathlib import Path

import httpx

from deploy.local.demo_case import case_history, demo_history
from deploy.local.mail import messages, text_of
from deploy.local.stack import Stack


def post_history(stack: Stack, case_id: str) -> list[httpx.Response]:
    """Posted one at a time, in order: the order agency systems publish a case's events in."""
    return stack.post_events(case_history(case_id))


def wait_for_mail(maildir: Path, case_id: str, count: int, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and len(messages(maildir, case_id)) < count:
        time.sleep(0.25)
    return len(messages(maildir, case_id))


def report(maildir: Path, case_id: str) -> str:
    lines = [f"Emails for case {case_id} in {maildir}/new:"]
    for message in messages(maildir, case_id):
        withheld = "some fields withheld" if "Fields withheld" in text_of(message) else "nothing withheld"
        lines.append(f"  {message['To']:<45} {message['Subject']}  [{withheld}]")
    return "\n".join(lines)


def run_demo(stack: Stack, at_once: int = 15, held: int = 5) -> None:
    """The history's release, trigger and panel decision (high) reach the five members at once (the
    community worker's in French); its missed appointment (normal) is held for the settle window, to go
    as one grouped email with any update close behind it (policy.yaml `holding`)."""
    case_id = f"DEMO-{uuid.uuid4().hex[:8].upper()}"
    maildir = stack.maildir
    answers = stack.post_events(demo_history(case_id))
    print(f"posted {len(answers)} events for case {case_id}: {sorted({a.status_code for a in answers})}")
    got = wait_for_mail(maildir, case_id, at_once)
    print(report(maildir, case_id))
    if got < at_once:
        print(f"only {got} of {at_once} emails arrived in time", file=sys.stderr)
    print(f"{held} more (the missed appointment, normal priority) come as 'Updates on this case' emails once the\n"
          f"settle window has passed (policy.yaml holding.settle_seconds); look in {maildir}/new")  # fmt: skip


if __name__ == "__main__":
    running = Stack(Path(os.environ.get("DRR_VAR_DIR", "var")).resolve())  # the running stack's defaults
    running.issue_keys(system="demo-command")  # keys of its own: those `make run` printed stay valid
    run_demo(running)
