"""The load of a chaos run, sent as agency systems would: teams first, then high-severity triggers
round-robin over the cases at a steady rate, each with its own event id and retried by the intake client
(transport errors, 5xx, 429) until intake answers. Only intake's answer counts as acceptance."""

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from deploy.local.demo_case import CASE_MANAGER, MEMBERS, envelope
from services.intake.client import IntakeClient, PublishError

TEAM = (("case_manager", CASE_MANAGER), ("police", MEMBERS["police"]), ("mental_health", MEMBERS["mental_health"]))
"""Every case's team: the case manager and two members. The shipped policy tells every role of a trigger
(rule operational-to-team), so each accepted trigger is owed one email per person here."""
RECIPIENTS = tuple(person["id"] for _, person in TEAM)


def team_events(case_id: str) -> list[dict[str, Any]]:
    joined = [
        envelope(case_id, "team.member_joined", {"practitioner": person, "role": role}) for role, person in TEAM[1:]
    ]
    opened = envelope(case_id, "case.opened", {"programme": "DRR", "referral_agency": "prison"})
    return [opened, envelope(case_id, "case_manager.assigned", {"practitioner": CASE_MANAGER}), *joined]


def trigger(case_id: str, n: int) -> dict[str, Any]:
    """High severity: the notifier sends it at once (never held or grouped), one email per recipient."""
    payload = {
        "trigger_type": "other",
        "severity": "high",
        "observed_at": "2026-11-25T09:00:00+00:00",
        "description": f"Chaos observation {n}.",
    }
    return {**envelope(case_id, "trigger.reported", payload), "event_id": str(uuid.uuid4())}


def triggers(case_ids: list[str], count: int) -> list[dict[str, Any]]:
    return [trigger(case_ids[n % len(case_ids)], n) for n in range(count)]


@dataclass
class Publisher:
    """Intake clients on a small thread pool, so a request stuck in retries does not hold the pace."""

    url: str
    api_key: str
    workers: int = 16
    retries: int = 0
    refusals: dict[str, str] = field(default_factory=dict)
    """Event id -> intake's last answer ("503 broker_unavailable", "None None" for no answer at all)."""
    _local: threading.local = field(default_factory=threading.local)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clients: list[IntakeClient] = field(default_factory=list)

    def close(self) -> None:
        for client in self._clients:
            client.close()

    def publish(self, event: dict[str, Any]) -> bool:
        """True once intake has the event (202, or 200 for a repeat after a lost answer)."""
        try:
            self._client().publish(event)
        except PublishError as refusal:
            with self._lock:
                self.refusals[str(event["event_id"])] = f"{refusal.status} {refusal.body.get('error')}"
            return False
        return True

    def publish_all(self, events: list[dict[str, Any]]) -> None:
        """In order, in one batch (the teams): any refusal is a broken set-up, raised."""
        refused = [r for r in self._client().publish_batch(events) if r["status"] == "rejected"]
        if refused:
            raise RuntimeError(f"intake refused {len(refused)} set-up events: {refused[0].get('error')}")

    def stream(self, events: list[dict[str, Any]], rate_per_s: float) -> "Iterator[tuple[str, Future[bool]]]":
        """Submit one event every 1/rate seconds; yields (event_id, future acceptance) as it goes."""
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="chaos-publish")
        start = time.monotonic()
        try:
            for n, event in enumerate(events):
                time.sleep(max(0.0, start + n / rate_per_s - time.monotonic()))
                yield str(event["event_id"]), pool.submit(self.publish, event)
        finally:
            pool.shutdown(wait=True)

    def _client(self) -> IntakeClient:
        client: IntakeClient | None = getattr(self._local, "client", None)
        if client is None:
            # patient, as an agency system with a queue would be: about a minute before giving up
            client = IntakeClient(
                self.url, self.api_key, max_attempts=60, backoff_s=0.2, max_backoff_s=2.0, sleep=self._counting_sleep
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def _counting_sleep(self, seconds: float) -> None:
        with self._lock:
            self.retries += 1
        time.sleep(seconds)
