"""The whole system on one machine: Kafka, the SMTP mail sink and the four services, each started as
its own process, checked healthy, and stopped by PID (SIGTERM, then SIGKILL after a grace period).

Used by `make run` (deploy/local/run.py), the end-to-end tests and the benchmark.
"""

import os
import subprocess
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from deploy.local.audit_keys import local_keys
from deploy.local.kafka import KafkaNode
from deploy.local.processes import Process, http_ok, port_open, wait_until
from services.intake.cli import issue_agency_keys
from services.intake.store import SqliteStore
from shared.kafka_acls import ADMIN
from shared.kafka_acls import SERVICES as SERVICES_PRINCIPALS

REPO = Path(__file__).resolve().parents[2]
OPERATOR = "operator"
"""service_env's name for operator commands (they act as the admin principal)."""


@dataclass(frozen=True)
class Ports:
    kafka: int = 9092
    controller: int = 9093
    intake: int = 8001
    router: int = 8002
    notifier: int = 8003
    audit: int = 8004
    smtp: int = 8025
    portal: int = 8005


@dataclass
class Stack:
    var_dir: Path
    ports: Ports = Ports()
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    oversight_token: str = ""
    """Issued by the audit CLI at start, for tests and local use of the oversight API."""
    api_keys: dict[str, str] = field(default_factory=dict)
    """Agency -> the demo API key issued to it at start (default permissions for that agency)."""
    with_portal: bool = False

    def __post_init__(self) -> None:
        self.kafka = KafkaNode(self.var_dir / "kafka", self.ports.kafka, self.ports.controller)

    @property
    def intake_db(self) -> Path:
        return self.var_dir / "intake.sqlite3"

    @property
    def maildir(self) -> Path:
        return self.var_dir / "mail"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{getattr(self.ports, service)}"

    def env(self) -> dict[str, str]:
        """What every process gets; each service adds its own Kafka principal (service_env)."""
        p = self.ports
        return {
            "DRR_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "DRR_KAFKA_CA_FILE": str(self.kafka.secrets.tls.ca_file),
            "DRR_NOTIFIER_ACK_SECRET_FILE": str(self.kafka.secrets.ack_key_file),
            "DRR_INTAKE_PORT": str(p.intake),
            "DRR_ROUTER_PORT": str(p.router),
            "DRR_NOTIFIER_PORT": str(p.notifier),
            "DRR_NOTIFIER_SMTP_PORT": str(p.smtp),
            "DRR_NOTIFIER_PUBLIC_URL": f"http://127.0.0.1:{p.notifier}",
            "DRR_AUDIT_PORT": str(p.audit),
            "DRR_PORTAL_PORT": str(p.portal),
            "DRR_PORTAL_PUBLIC_URL": f"http://127.0.0.1:{p.portal}",
            "DRR_AUDIT_DB_PATH": str(self.var_dir / "audit.sqlite3"),
            "DRR_AUDIT_SIGNING_KEY_PATH": str(self.var_dir / "audit-signing-key.pem"),
            "DRR_INTAKE_DB_PATH": str(self.intake_db),
            "DRR_ROUTER_STORE": "rocksdb",
            "DRR_ROUTER_STATE_DIR": str(self.var_dir / "state" / "router"),
            "DRR_NOTIFIER_STORE": "rocksdb",
            "DRR_NOTIFIER_STATE_DIR": str(self.var_dir / "state" / "notifier"),
            "DRR_MAILSINK_PORT": str(p.smtp),
            "DRR_MAILSINK_MAILDIR": str(self.maildir),
            **local_keys(self.var_dir),
            **self.extra_env,
        }

    def service_env(self, name: str) -> dict[str, str]:
        """A service's environment: the common one and its own Kafka principal (shared/kafka_acls.py);
        operator commands (`audit ...`) act as the admin principal; the mail sink has none."""
        if name in SERVICES_PRINCIPALS:
            kafka = self.kafka.service_env(name)
        else:
            kafka = self.kafka.env("DRR_ADMIN_", ADMIN) if name == OPERATOR else {}
        return {**self.env(), **kafka, **self.extra_env}

    def post_events(self, events: list[dict[str, Any]]) -> list[httpx.Response]:
        """POST events to intake one at a time, in order, as an agency system would, each with the key
        of its `source.agency`. Tests and the demo publish through here, so whatever intake requires is
        done in one place."""
        with httpx.Client(base_url=self.url("intake"), timeout=30) as client:
            return [client.post("/v1/events", json=event, headers=self.auth_for(event)) for event in events]

    def auth_for(self, event: dict[str, Any]) -> dict[str, str]:
        """The Authorization header for the agency an event names as its source (none if unknown)."""
        source = event.get("source")
        key = self.api_keys.get(source.get("agency", "")) if isinstance(source, dict) else None
        return {"Authorization": f"Bearer {key}"} if key else {}

    def issue_keys(self, system: str = "local-stack") -> None:
        """One key per agency (revoking earlier keys of the same system), written to the intake database."""
        store = SqliteStore(self.intake_db)
        try:
            issued = issue_agency_keys(store, system=system)
            self.api_keys = {agency.value: key for agency, key in issued.items()}
        finally:
            store.close()

    def start(self, timeout_s: float = 120, only: Collection[str] | None = None) -> None:
        """The broker and every service, or the services named in `only` (a benchmark of one service). The
        portal only when named or `with_portal` (it needs an identity provider: KeycloakNode.portal_env())."""
        self.issue_keys()
        self.kafka.start()
        try:
            for name, module in SERVICES:
                if (only is not None and name not in only) or (
                    only is None and name in OPTIONAL and not self.with_portal
                ):
                    continue
                process = self._python(name, module)
                wait_until(self._readiness(name), timeout_s, name, process.alive)
            if only is None or "audit" in only:
                self.oversight_token = self.audit_cli("tokens", "issue", "--name", "local-oversight").strip()
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.kafka.stop()

    def audit_cli(self, *args: str) -> str:
        """Run the `audit` operator command against this stack's ledger; returns what it printed."""
        argv = [sys.executable, "-m", "services.audit.cli", *args]
        done = subprocess.run(
            argv, env={**os.environ, **self.service_env(OPERATOR)}, cwd=REPO, capture_output=True, text=True, check=True
        )
        return done.stdout

    def stop_service(self, name: str, *, kill: bool = False) -> None:
        """Stop one service (SIGKILL when `kill`, as a crash would), leaving the rest running."""
        process = next(p for p in self.processes if p.name == name)
        process.kill() if kill else process.stop()
        self.processes.remove(process)

    def start_service(self, name: str, timeout_s: float = 120) -> None:
        """Start one service again (same settings, same folders) and wait until it is ready."""
        process = self._python(name, dict(SERVICES)[name])
        wait_until(self._readiness(name), timeout_s, name, process.alive)

    def kill_broker(self) -> None:
        """SIGKILL the broker, as a crash would: no clean shutdown, its data left as it was on disk."""
        if self.kafka.process is not None:
            self.kafka.process.kill()

    def start_broker(self, timeout_s: float = 120) -> None:
        """Start the broker again on its own data (KafkaNode.start formats storage only the first time)."""
        self.kafka.start(timeout_s)

    def _python(self, name: str, module: str) -> Process:
        log = self.var_dir / "logs" / f"{name}.log"
        process = Process(name, [sys.executable, "-m", module], log, self.service_env(name), REPO).start()
        self.processes.append(process)
        return process

    def _readiness(self, name: str) -> Callable[[], bool]:
        if name == "mailsink":
            return lambda: port_open(self.ports.smtp)
        return lambda: http_ok(f"{self.url(name)}/healthz")


SERVICES = [
    ("mailsink", "deploy.local.mailsink"),
    ("audit", "services.audit"),
    ("router", "services.router"),
    ("notifier", "services.notifier"),
    ("intake", "services.intake"),
    ("portal", "services.portal"),
]
"""Started in this order (consumers before the producer that feeds them), stopped in reverse."""
OPTIONAL = frozenset({"portal"})
