"""The sign-in door is tested through the portal, its first user: the same fixtures as the portal's tests."""

from tests.unit.portal.conftest import browser, case_data, clock, issuer, issuer_http, make_portal

__all__ = ["browser", "case_data", "clock", "issuer", "issuer_http", "make_portal"]
