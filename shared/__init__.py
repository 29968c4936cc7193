"""What every drr-notify service shares: the wire contract, topics, settings, logging and metrics.

Nothing in here imports a service; services import from here and never from each other.
"""
