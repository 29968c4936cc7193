"""A token bucket per API key: `rate` events a second on average, bursts of up to `burst`."""

from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    rate: float
    burst: float
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """key id -> (tokens left, when last refilled)."""

    def take(self, key_id: str, cost: float, now: float) -> float:
        """Take `cost` tokens (capped at the burst, so a large batch can pass); 0 if granted, else
        the seconds to wait before they would be there."""
        cost = min(cost, self.burst)
        tokens, then = self._buckets.get(key_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < cost:
            self._buckets[key_id] = (tokens, now)
            return (cost - tokens) / self.rate
        self._buckets[key_id] = (tokens - cost, now)
        return 0.0
