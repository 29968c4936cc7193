"""Every HTTP surface is deliberate: each service, built as in production, serves exactly the routes the
README's table lists (method and path; GET where the table names none), so a route cannot appear, or
vanish, unnoticed. Faust's own views (tables, router, index, statistics) are among what must not appear."""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faust
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from services.audit.bootstrap import AuditSettings, bootstrap
from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.store import SqliteStore
from services.notifier.app import build as build_notifier
from services.notifier.bootstrap import NotifierSettings
from services.router.app import build as build_router
from services.router.bootstrap import RouterSettings
from shared.faust_web import BUILT_IN_VIEWS_OFF, routes
from shared.record_signing import RecordSigner

README = Path(__file__).resolve().parents[2] / "README.md"
Routes = set[tuple[str, str]]


def documented(service: str) -> Routes:
    """The routes in the README's "what | where" row for `service`: each `METHOD /path` or `/path` in
    backquotes, without its query string (`?…`, `[?…]`)."""
    row = next(line for line in README.read_text().splitlines() if line.startswith(f"| {service} |"))
    found = set()
    for item in re.findall(r"`([^`]+)`", row):
        match = re.fullmatch(r"(?:([A-Z]+) )?(/[^?\[\s]*)\S*", item)
        if match:
            found.add((match.group(1) or "GET", match.group(2)))
    return found


def served_by_fastapi(app: FastAPI) -> Routes:
    found = _routes_of(app.routes, prefix="")
    return found - {("HEAD", path) for _, path in found}  # Starlette answers HEAD wherever GET is served


def _routes_of(entries: Sequence[Any], prefix: str) -> Routes:
    """Routes, and the routes of included routers (FastAPI keeps an included router whole, as one entry)."""
    found: Routes = set()
    for entry in entries:
        if isinstance(entry, APIRoute | Route):
            found |= {(method, prefix + entry.path) for method in entry.methods or ()}
        elif hasattr(entry, "original_router"):
            found |= _routes_of(entry.original_router.routes, prefix + entry.include_context.prefix)
        else:
            raise AssertionError(f"a kind of route this test does not know: {type(entry).__name__}")
    return found


def served_by_faust(app: faust.App) -> Routes:
    found = routes(app)
    return found - {("HEAD", path) for _, path in found}  # aiohttp adds HEAD to every GET


def test_the_readme_table_names_routes_for_every_service() -> None:
    for service in ("intake", "router", "notifier", "audit"):
        assert ("GET", "/healthz") in documented(service)


def test_intake_serves_what_the_readme_lists(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "intake.sqlite3")
    try:
        publisher = KafkaPublisher("unused:9092", RecordSigner("intake", Ed25519PrivateKey.generate()))
        app = create_app(IntakeSettings(), publisher, store, store, connect=False)
        assert served_by_fastapi(app) == documented("intake")
    finally:
        store.close()


def test_audit_serves_what_the_readme_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRR_AUDIT_DB_PATH", str(tmp_path / "audit.sqlite3"))
    monkeypatch.setenv("DRR_AUDIT_SIGNING_KEY_PATH", str(tmp_path / "key.pem"))
    assert served_by_fastapi(bootstrap(AuditSettings())) == documented("audit")


def test_router_serves_what_the_readme_lists() -> None:
    assert served_by_faust(build_router(RouterSettings())) == documented("router")


def test_notifier_serves_what_the_readme_lists() -> None:
    assert served_by_faust(build_notifier(NotifierSettings())) == documented("notifier")


def test_faust_would_serve_its_own_views_without_the_guard() -> None:
    """The comparison can fail: a plain Faust app serves the table and router views and an index, and its
    settings alone leave the index (hence faust_web.OwnPagesOnly)."""
    plain = {path for _, path in routes(faust.App("drr-test-plain", autodiscover=False))}
    assert {"/", "/router/", "/table/{name}/", "/table/{name}/{key}/"} <= plain
    flags_only = {path for _, path in routes(faust.App("drr-test-flags", autodiscover=False, **BUILT_IN_VIEWS_OFF))}
    assert flags_only == {"/"}
