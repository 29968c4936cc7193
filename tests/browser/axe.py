"""axe-core inside the page: the WCAG 2.0, 2.1 and 2.2 A and AA rules, run by the browser on the page it rendered.

axe is evaluated in the page through the DevTools protocol (page.evaluate), not added as a <script> element
(page.add_script_tag): the portal's Content-Security-Policy allows no inline script, and turning the policy off
for the tests (bypass_csp) would hide the very breakage they should catch (an inline style the policy blocks).
"""

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa")
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


@cache
def _source() -> str:
    if not AXE.exists():
        raise RuntimeError(f"no {AXE}: run `make setup` (npm ci in tests/browser)")
    return AXE.read_text()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Every WCAG A/AA violation axe finds on the page as it is now (an empty list: none)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    results: dict[str, Any] = page.evaluate(RUN, list(WCAG_AA))
    violations: list[dict[str, Any]] = results["violations"]
    return violations


def readable(violations: list[dict[str, Any]]) -> str:
    """One paragraph per violated rule: its id, impact, help text and link, and each offending element."""
    parts = []
    for violation in violations:
        lines = [f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"]
        for node in violation["nodes"]:
            lines.append(f"  at {' '.join(node['target'])}: {node['html'][:160]}")
            if node.get("failureSummary"):
                lines.append("    " + node["failureSummary"].replace("\n", "\n    "))
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def assert_accessible(page: Page) -> None:
    """Fails, listing every violation readably, if axe finds any on the page."""
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n" + readable(violations)
