"""The router's case teams live in Faust tables backed by changelog topics and kept in RocksDB in the
router's own state folder: a router killed with SIGKILL and started again finds them there, and one started
on an empty folder (a new machine, a lost disk) rebuilds them from the changelogs; either way the next event
still reaches the whole team."""

import shutil
import stat
import uuid
from email.message import EmailMessage

import pytest
from test_case_history import eventually

from deploy.local.demo_case import CASE_MANAGER, MEMBERS, envelope, opening
from deploy.local.mail import messages
from deploy.local.stack import Stack
from shared import topics
from shared.examples import EXAMPLES

TEAM = [CASE_MANAGER, MEMBERS["police"]]


def trigger(case_id: str) -> dict[str, object]:
    return envelope(case_id, "trigger.reported", EXAMPLES["trigger.reported"], "police")


@pytest.mark.parametrize("state", ["kept", "lost"])
def test_a_restarted_router_still_knows_the_team(stack: Stack, state: str) -> None:
    case_id = f"E2E-RESTART-{state}-{uuid.uuid4().hex[:8]}"
    setup = [
        opening(case_id),
        envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}),
        envelope(case_id, "team.member_joined", {"practitioner": MEMBERS["police"], "role": "police"}),
        trigger(case_id),
    ]
    assert {a.status_code for a in stack.post_events(setup)} == {202}
    eventually(lambda: len(messages(stack.maildir, case_id)) >= len(TEAM), what="emails before the restart")

    folder = stack.var_dir / "state" / "router"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.rglob(f"{topics.CASE_TEAMS_TABLE}-*.db")), "the router's tables are not on disk"
    stack.stop_service("router", kill=True)
    if state == "lost":
        shutil.rmtree(folder)
    stack.start_service("router")
    assert {a.status_code for a in stack.post_events([trigger(case_id)])} == {202}

    def after_restart() -> list[EmailMessage] | None:
        found = messages(stack.maildir, case_id)
        return found if len(found) >= 2 * len(TEAM) else None

    mails = eventually(after_restart, what="emails after the restart")
    assert isinstance(mails, list)
    for person in TEAM:
        assert sum(person["email"] in str(m["To"]) for m in mails) == 2, person["name"]
