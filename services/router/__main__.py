import sys

from services.router.app import build
from services.router.bootstrap import RouterSettings
from shared.faust_app import run_worker
from shared.policy import PolicyError, load_policy
from shared.settings import read_settings

settings = read_settings(RouterSettings)
try:
    policy = load_policy(settings.policy_path)
except (PolicyError, OSError) as exc:
    sys.stderr.write(f"router: cannot start: {exc}\n")  # names the file, line and rule at fault
    sys.exit(2)
run_worker(build(settings, policy), "router", settings.log_level)
