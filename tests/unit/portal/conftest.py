"""The portal under test: built by its real build_app, reached through httpx's ASGI transport as a
browser would (cookies kept between requests), its issuer a FakeIssuer behind httpx.MockTransport, and
one clock for both that a test can move (portal_kit.py), and what it would read from Kafka in memory
(inbox_kit.py)."""

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.portal.app import build_app
from services.portal.case_data import CaseData
from tests.unit.portal.fake_issuer import FakeIssuer
from tests.unit.portal.inbox_kit import memory_case_data
from tests.unit.portal.portal_kit import PUBLIC_URL, Clock, portal_settings


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def clock(issuer: FakeIssuer) -> Clock:
    return Clock(issuer.now)


@pytest.fixture
async def issuer_http(issuer: FakeIssuer) -> AsyncIterator[httpx.AsyncClient]:
    async with issuer.http() as http:
        yield http


@pytest.fixture
def case_data() -> CaseData:
    """The portal's Kafka side in memory: an empty book, fresh case keys, acknowledgements recorded."""
    return memory_case_data()


@pytest.fixture
def make_portal(issuer_http: httpx.AsyncClient, clock: Clock, case_data: CaseData) -> Callable[..., FastAPI]:
    def make(**override: Any) -> FastAPI:
        return build_app(portal_settings(**override), http=issuer_http, clock=clock, data=case_data)

    return make


@pytest.fixture
async def browser(make_portal: Callable[..., FastAPI]) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(make_portal()), base_url=PUBLIC_URL) as client:
        yield client
