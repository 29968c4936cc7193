"""The pure count at the end of a chaos run: per expected (event, recipient), how many copies arrived."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Tally:
    expected: int
    """Deliveries owed: one per accepted event and recipient."""
    lost: tuple[str, ...]
    """Delivery ids owed that never arrived."""
    duplicated: int
    """Copies beyond the first that did not say `X-DRR-Possible-Duplicate: yes`."""
    marked: int
    """Copies beyond the first that said so (a mail client folds them by Message-ID)."""

    @property
    def ok(self) -> bool:
        return not self.lost and self.duplicated == 0


def tally(expected: Sequence[str], copies: Mapping[str, Sequence[bool]]) -> Tally:
    """`copies`: delivery id -> one flag per stored copy, True when it was marked possible-duplicate.

    Which copy is the "first" does not matter: of n copies, n-1 are extra, and as many of those count
    as marked as there are marked copies."""
    lost = tuple(d for d in expected if not copies.get(d))
    duplicated = marked = 0
    for delivery in expected:
        flags = copies.get(delivery, ())
        extra = max(0, len(flags) - 1)
        marked_extra = min(extra, sum(flags))
        marked += marked_extra
        duplicated += extra - marked_extra
    return Tally(len(expected), lost, duplicated, marked)
