"""Holding alerts back: the pure rules of grouping, digests and pause holds (rules.py), and their Kafka
side, the `holds` table and its command topic (batches.py). Other folders import from here only."""

from services.notifier.holding.batches import Holds
from services.notifier.holding.rules import RELEASED_TYPES, Holding

__all__ = ["RELEASED_TYPES", "Holding", "Holds"]
