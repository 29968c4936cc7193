"""The `publish` command agency systems can use, against the running system: accepted, then a repeat."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from deploy.local.demo_case import case_history
from deploy.local.stack import Stack


def publish(stack: Stack, *args: str) -> list[dict[str, object]]:
    env = {**os.environ, "DRR_API_KEY": stack.api_keys["probation"], "DRR_INTAKE_URL": stack.url("intake")}
    code = "from services.intake.publish_cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_publish_a_file_then_a_batch_and_repeats_are_recognised(stack: Stack, tmp_path: Path) -> None:
    case_id = f"E2E-CLI-{uuid.uuid4().hex[:8]}"
    opened, assigned = case_history(case_id)[:2]
    single = tmp_path / "event.json"
    single.write_text(json.dumps({**opened, "event_id": str(uuid.uuid4())}))
    [first] = publish(stack, str(single))
    [again] = publish(stack, str(single))
    assert (first["status"], again["status"]) == ("accepted", "duplicate")
    assert first["event_id"] == again["event_id"]
    lines = tmp_path / "events.jsonl"
    lines.write_text(json.dumps(assigned) + "\n" + single.read_text() + "\n")
    assert [r["status"] for r in publish(stack, "--batch", str(lines))] == ["accepted", "duplicate"]
