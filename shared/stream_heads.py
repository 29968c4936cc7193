"""Which fetched message a stream may be given, and up to where its partition may be committed: the
rules behind shared/faust_consumer.py, kept apart from faust so they can be tested as values.

Our stream topics are neither compacted nor written by transactional producers, so their offsets have
no holes: an offset missing from what a stream was given is a message it never saw, and the committed
offset may only pass offsets that were acknowledged, one after the other, from the committed one on.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    GIVE = "give"
    """The very next offset: hand it to the stream."""
    DROP = "drop"
    """Given already (a re-read), or the partition is on its way back to its head: ignore it."""
    REWIND = "rewind"
    """Later than the next offset: messages were skipped; seek back to `Head.next` and ignore it."""


@dataclass
class Head:
    """One stream partition since it was last sought: the offset its stream must be given next."""

    next: int
    rewinding: bool = False
    """A seek back to `next` was asked for and nothing has been given since."""
    stale: bool = False
    """The stream buffers were emptied: what was given and not acknowledged may be gone."""

    def admit(self, offset: int) -> Verdict:
        if offset == self.next:
            self.next, self.rewinding = offset + 1, False
            return Verdict.GIVE
        if offset < self.next or self.rewinding:
            return Verdict.DROP
        self.rewinding = True
        return Verdict.REWIND

    def rewind(self, to: int) -> None:
        self.next, self.rewinding, self.stale = to, False, False


def handled_up_to(base: int, acked: Iterable[int]) -> int:
    """The first offset from `base` on that is not acknowledged: the offset that may be committed.
    `base` is the committed offset (the next to handle), or where the stream started if none was."""
    done = set(acked)
    end = base
    while end in done:
        end += 1
    return end
