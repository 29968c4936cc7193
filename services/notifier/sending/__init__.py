"""Sending: the one path every email takes (sender.py: ledger check, state machine, retries, audit, dead
letters), the email ledger that makes redelivery and restarts send nothing twice (ledger.py), and the
in-order acknowledgement of several deliveries under way at once (in_order.py). Other folders import
from here only."""

from services.notifier.sending.in_order import InOrder
from services.notifier.sending.ledger import EmailLedger, Seen
from services.notifier.sending.sender import SERVICE, RetryPolicy, Sender

__all__ = ["SERVICE", "EmailLedger", "InOrder", "RetryPolicy", "Seen", "Sender"]
