"""Every test process gets one install's audit keys (each producer's record signing key, the shared field
digest key, the audit service's list of signers), made by the same set-up code as `make run`, in a
temporary folder, so that settings read in tests find them as a service would.

Apps built inside the test process keep their tables in memory (a fresh state per test, nothing on disk
to carry over); the services an e2e stack starts keep theirs in RocksDB, as in production (Stack.env)."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from deploy.local.audit_keys import local_keys

KEYS_DIR = Path(tempfile.mkdtemp(prefix="drr-test-keys-"))
atexit.register(shutil.rmtree, KEYS_DIR, ignore_errors=True)
for name, value in local_keys(KEYS_DIR).items():
    os.environ.setdefault(name, value)
for service in ("ROUTER", "NOTIFIER"):
    os.environ.setdefault(f"DRR_{service}_STORE", "memory")
    os.environ.setdefault(f"DRR_{service}_STATE_DIR", str(KEYS_DIR / "state" / service.lower()))
