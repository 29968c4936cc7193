"""Rotating the key-encryption key on the real stack, as docs/security.md tells an operator: a new primary
key in the KEK file (`intake kek rotate`), the file copied to intake and the notifier and both restarted,
every data key rewrapped (`intake kek rewrap`), the old KEK key retired (`intake kek retire`) and both
restarted again. The case's sealed data is untouched and still opens under the new KEK alone."""

import os
import shutil
import subprocess
import sys
import uuid

from deploy.local.demo_case import CLINICAL_NOTES, MEMBERS, case_history
from deploy.local.mail import messages, text_of
from deploy.local.stack import REPO, Stack
from tests.e2e.test_case_history import eventually, mail_to


def kek(stack: Stack, *args: str) -> str:
    env = {**os.environ, **stack.service_env("intake")}
    done = subprocess.run([sys.executable, "-m", "services.intake.cli", "kek", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def roll_kek_file(stack: Stack) -> None:
    """The intake's KEK file copied to the notifier, and both restarted to read it."""
    keys = stack.var_dir / "keys"
    shutil.copyfile(keys / "intake" / "kek.json", keys / "notifier" / "kek.json")
    for service in ("intake", "notifier"):
        stack.stop_service(service)
        stack.start_service(service)


def clinical_mails(stack: Stack, case_id: str) -> list[str]:
    mails = mail_to(messages(stack.maildir, case_id), MEMBERS["mental_health"])
    return [text_of(m) for m in mails if "Trigger" in str(m["Subject"]) and CLINICAL_NOTES in text_of(m)]


def test_a_new_kek_rewraps_every_data_key_and_the_case_s_data_still_opens(stack: Stack) -> None:
    case_id = f"E2E-KEK-{uuid.uuid4().hex[:8]}"
    history = case_history(case_id)
    assert {a.status_code for a in stack.post_events(history)} == {202}
    eventually(lambda: clinical_mails(stack, case_id), what="the clinical trigger email before rotation")

    intake_kek = str(stack.var_dir / "keys" / "intake" / "kek.json")
    assert "new primary key" in kek(stack, "rotate", "--file", intake_kek)
    roll_kek_file(stack)
    rewrapped = int(kek(stack, "rewrap").split()[1])
    assert rewrapped >= 1  # this case's key among every case's so far
    assert "retired 1 old keys" in kek(stack, "retire", "--file", intake_kek)
    roll_kek_file(stack)  # from here on only the new KEK key exists anywhere

    trigger = next(e for e in history if e["event_type"] == "trigger.reported")
    again = {k: v for k, v in trigger.items() if k != "event_id"}  # a new trigger, under the same case key
    assert [a.status_code for a in stack.post_events([again])] == [202]
    eventually(lambda: len(clinical_mails(stack, case_id)) >= 2, what="the clinical trigger email after rotation")
