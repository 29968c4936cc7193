"""Post a realistic case history through intake and print what each person received.

`python -m deploy.local.demo` against a running stack (`make run` runs it for you once).
"""

import os
import sys
import time
import uuid
from pathlib import Path

import httpx

from deploy.local.demo_case import case_history
from deploy.local.mail import messages, text_of


def post_history(intake_url: str, case_id: str) -> list[httpx.Response]:
    """Posted one at a time, in order: the order agency systems publish a case's events in."""
    with httpx.Client(base_url=intake_url, timeout=30) as client:
        return [client.post("/v1/events", json=event) for event in case_history(case_id)]


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


def run_demo(intake_url: str, maildir: Path, expected: int = 16) -> None:
    case_id = f"DEMO-{uuid.uuid4().hex[:8].upper()}"
    answers = post_history(intake_url, case_id)
    print(f"posted {len(answers)} events for case {case_id}: {sorted({a.status_code for a in answers})}")
    got = wait_for_mail(maildir, case_id, expected)
    print(report(maildir, case_id))
    if got < expected:
        print(f"only {got} of {expected} emails arrived in time", file=sys.stderr)


if __name__ == "__main__":
    var = Path(os.environ.get("DRR_VAR_DIR", "var"))
    run_demo(os.environ.get("DRR_INTAKE_URL", "http://127.0.0.1:8001"), var / "mail")
