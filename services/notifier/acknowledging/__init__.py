"""Acknowledging an alert: signed, expiring link tokens (tokens.py), and the endpoint with the agent that
records acknowledgements durably (endpoint.py). Other folders import from here only."""

from services.notifier.acknowledging.endpoint import action_link, wire_acks

__all__ = ["action_link", "wire_acks"]
