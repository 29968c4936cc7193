"""What "kill a service" means for each part of the stack, and how a supervisor brings it back."""

from deploy.local.stack import Stack

BROKER = "broker"
FAULTS = ("router", "notifier", "audit", "intake", "mailsink", BROKER)
"""Everything a chaos run can kill: the stack's processes and the Kafka broker."""


def crash(stack: Stack, service: str) -> None:
    """SIGKILL, as a crash or an OOM kill would: no shutdown code, no last commit or flush."""
    if service == BROKER:
        stack.kill_broker()
    else:
        stack.stop_service(service, kill=True)


def recover(stack: Stack, service: str) -> None:
    """Start it again with the same settings and data, and wait until it is ready."""
    if service == BROKER:
        stack.start_broker()
    else:
        stack.start_service(service)
