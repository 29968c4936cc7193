"""Each service, started as `python -m services.<name>` with DRR_ENV=production and no credentials,
refuses to start with exit status 2 and a message naming the settings, before it connects to anything."""

import os
import subprocess
import sys

import pytest

from deploy.local.stack import REPO


@pytest.mark.parametrize("service", ["intake", "router", "notifier", "audit"])
def test_a_service_refuses_to_start_in_production_without_kafka_credentials(service: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("DRR_")}
    env |= {"DRR_ENV": "production", "DRR_KAFKA_BOOTSTRAP": "127.0.0.1:1"}  # nothing listens there
    done = subprocess.run(
        [sys.executable, "-m", f"services.{service}"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "configuration refused" in done.stderr and "Traceback" not in done.stderr
    prefix = f"DRR_{service.upper()}_"
    assert f"{prefix}KAFKA_USERNAME and {prefix}KAFKA_PASSWORD: Kafka is not authenticated" in done.stderr
