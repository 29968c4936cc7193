"""The audit service with its console, as the console's tests use it: a real ledger file (a few records and a
signed checkpoint), the real create_app and build_console, the query log straight into the ledger, a
FakeIssuer (tests/unit/portal/fake_issuer.py) that knows the drr-oversight client, and a browser (httpx over
ASGI, cookies kept) that signs in through it."""

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from fastapi import FastAPI

from services.audit.app import create_app
from services.audit.checkpoints import Signer, checkpoint_now
from services.audit.console.app import build_console
from services.audit.console.settings import ConsoleSettings
from services.audit.leaves import EntryFilter, leaf_of
from services.audit.sqlite_store import SqliteLedger
from shared.audit_records import AuditKind, AuditRecord
from tests.unit.portal.fake_issuer import ISSUER, OVERSIGHT_USER, FakeIssuer

PUBLIC_URL = "https://audit.test"
CLIENT_ID = "drr-oversight"
CLIENT_SECRET = "oversight-client-secret-for-unit-tests-only"
SESSION_SECRET = "a-console-session-secret-of-at-least-32-characters"
SESSION_COOKIE = "__Host-drr_audit_session"
ORIGIN = "console.test/audit"
OVERSEER = OVERSIGHT_USER


class DirectQueryLog:
    """The Kafka round trip skipped: a query's leaf goes straight into the ledger (or fails, when told to)."""

    def __init__(self, ledger: SqliteLedger) -> None:
        self.ledger, self.down = ledger, False

    async def record(self, *, record: AuditRecord) -> None:
        if self.down:
            raise ConnectionError("the audit topic cannot be reached")
        self.ledger.append([leaf_of(record)])


def decided(case_id: str, agency: str, outcome: str = "shared", recipient: str = "p-1") -> AuditRecord:
    return AuditRecord(record_id=uuid4(), kind=AuditKind.SHARING_DECIDED, service="router", case_id=case_id,
                       event_type="trigger.reported", recipient_id=recipient, recipient_agency=agency,
                       recipient_role=agency, outcome=outcome, rule="r1", field_digests={"severity": "ab" * 32},
                       fields_withheld=["clinical_notes"])  # fmt: skip


def console_settings(**override: Any) -> ConsoleSettings:
    values = {"issuer_url": ISSUER, "client_secret": CLIENT_SECRET, "public_url": PUBLIC_URL,
              "session_secret": SESSION_SECRET}  # fmt: skip
    return ConsoleSettings(**{**values, **override})


def oversight_issuer() -> FakeIssuer:
    return FakeIssuer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


def ledger_with_cases(folder: Path) -> tuple[SqliteLedger, Signer]:
    ledger = SqliteLedger.open(folder / "audit.sqlite3")
    records = [decided("case-a", "police"), decided("case-b", "probation", "withheld", "p-2"),
               decided("case-a", "mental_health", recipient="p-3")]  # fmt: skip
    ledger.append([leaf_of(record) for record in records])
    signer = Signer.from_file(folder / "signing.pem", ORIGIN)
    checkpoint_now(ledger, signer, ORIGIN)
    return ledger, signer


@dataclass
class Audit:
    app: FastAPI
    ledger: SqliteLedger
    signer: Signer
    query_log: DirectQueryLog
    issuer: FakeIssuer

    def queries(self) -> list[dict[str, Any]]:
        return [json.loads(s.text) for s in self.ledger.entries(EntryFilter(kind="audit.queried"), 0, 1000)]


def audit_with_console(folder: Path, http: httpx.AsyncClient, issuer: FakeIssuer) -> Audit:
    ledger, signer = ledger_with_cases(folder)
    query_log = DirectQueryLog(ledger)
    console = build_console(console_settings(), http, clock=lambda: issuer.now)
    app = create_app(ledger, query_log, signer.verifier_key, console=console)
    return Audit(app, ledger, signer, query_log, issuer)


async def sign_in(browser: httpx.AsyncClient, issuer: FakeIssuer, user: dict[str, Any]) -> httpx.Response:
    leaving = await browser.get("/auth/login")
    assert leaving.status_code == 303, leaving.text
    return await browser.get("/auth/callback", params=issuer.authorize(leaving.headers["location"], user=user))


def browser_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=PUBLIC_URL)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field on the page"
    return found.group(1)


def json_block(page: str, element_id: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert found, f"no {element_id} on the page"
    return json.loads(found.group(1))


async def browsing(audit: Audit) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_for(audit.app) as browser:
        yield browser
