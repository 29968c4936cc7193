"""Prometheus helpers. Label values are codes (event type, outcome), never personal data."""

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest


def exposition(registry: CollectorRegistry = REGISTRY) -> tuple[bytes, str]:
    """The body and content type of a /metrics response."""
    return generate_latest(registry), CONTENT_TYPE_LATEST
