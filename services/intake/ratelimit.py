"""Token buckets: `rate` tokens a second on average, bursts of up to `burst`, one bucket per name (an API
key id, a client address).

Memory is bounded: at most `max_buckets` are kept. Buckets are kept in the order they were last used, so
the oldest come first; those that have refilled to the burst are the same as no bucket and are dropped as
they come to the front, and past the bound the least recently used goes (a flood of new names then finds
full buckets, as it would anyway: the bound caps memory, the rate caps each name).
"""

from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    rate: float
    burst: float
    max_buckets: int = 100_000
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """name -> (tokens left, when last refilled), least recently used first."""

    def take(self, name: str, cost: float, now: float) -> float:
        """Take `cost` tokens (capped at the burst, so a large batch can pass); 0 if granted, else
        the seconds to wait before they would be there."""
        cost = min(cost, self.burst)
        tokens, then = self._buckets.pop(name, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        self._forget_idle(now)
        if tokens < cost:
            self._buckets[name] = (tokens, now)
            return (cost - tokens) / self.rate
        self._buckets[name] = (tokens - cost, now)
        return 0.0

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        """Drop full buckets from the front, and the least recently used past the bound (room for one)."""
        while self._buckets:
            name, (tokens, then) = next(iter(self._buckets.items()))
            if len(self._buckets) < self.max_buckets and tokens + (now - then) * self.rate < self.burst:
                return
            del self._buckets[name]
