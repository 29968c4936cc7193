"""The portal's Prometheus counters. Labels are reason codes, never who signed in."""

from prometheus_client import Counter

SIGN_INS = Counter("drr_portal_sign_ins_total", "Sessions started, by kind of user", ["kind"])
LOGOUTS = Counter("drr_portal_logouts_total", "Sessions ended by logout")
REFUSALS = Counter("drr_portal_refusals_total", "Requests refused, by reason (refusals.py)", ["reason"])
