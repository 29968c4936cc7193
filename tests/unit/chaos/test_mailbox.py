"""The chaos harness reads the Maildir incrementally: each stored email counted once, marks kept."""

from email.message import EmailMessage
from pathlib import Path

import pytest

from deploy.local.chaos import ChaosPlan, Mailbox


def store(maildir: Path, name: str, delivery: str, marked: bool = False) -> None:
    mail = EmailMessage()
    mail["X-DRR-Delivery-Id"] = delivery
    if marked:
        mail["X-DRR-Possible-Duplicate"] = "yes"
    mail.set_content("body")
    (maildir / "new").mkdir(parents=True, exist_ok=True)
    (maildir / "new" / name).write_bytes(mail.as_bytes())


def test_each_file_counts_once_across_refreshes_and_a_move_to_cur(tmp_path: Path) -> None:
    box = Mailbox(tmp_path)
    box.refresh()  # no folders yet
    store(tmp_path, "1.host", "d-1")
    box.refresh()
    store(tmp_path, "2.host", "d-1", marked=True)
    (tmp_path / "cur").mkdir()
    (tmp_path / "new" / "1.host").rename(tmp_path / "cur" / "1.host:2,S")
    box.refresh()
    box.refresh()
    assert box.copies("d-1") == [False, True]
    assert box.copies("d-2") == []


def test_a_plan_for_a_service_that_is_not_in_the_stack_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown service"):
        ChaosPlan("routr", seed=1)


def test_the_same_seed_draws_the_same_kill_moment_inside_the_window() -> None:
    plan = ChaosPlan("router", seed=42)
    assert plan.kill_at_s() == ChaosPlan("router", seed=42).kill_at_s()
    assert plan.kill_window_s[0] <= plan.kill_at_s() <= plan.kill_window_s[1]
