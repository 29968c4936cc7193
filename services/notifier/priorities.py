"""How urgent an alert is; what each level means for sending is in policy.yaml and holding.py."""

from enum import StrEnum


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


IMMEDIATE = frozenset({Priority.CRITICAL, Priority.HIGH})
"""Sent at once (unless a pause holds a high one back), with an acknowledgement link."""
