"""The sign-in door's Prometheus counters, one set for every service that signs people in, told apart by
the `service` label (portal, audit). Other labels are reason codes, never who signed in."""

from prometheus_client import Counter

SIGN_INS = Counter("drr_sign_ins_total", "Sessions started, by service and kind of user", ["service", "kind"])
LOGOUTS = Counter("drr_sign_in_logouts_total", "Sessions ended by logout", ["service"])
REFUSALS = Counter(
    "drr_sign_in_refusals_total", "Browser requests refused, by service and reason (refusals.py)", ["service", "reason"]
)
