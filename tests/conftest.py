"""Every test process gets one install's audit keys (each producer's record signing key, the shared field
digest key, the audit service's list of signers), made by the same set-up code as `make run`, in a
temporary folder, so that settings read in tests find them as a service would."""

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
