"""The portal's stylesheet (services/portal/static/portal.css) against WCAG 2.2 AA, on a specimen page holding
every component in the templates' own markup (specimen.html), served under the portal's Content-Security-Policy:
axe's rules (text contrast among them), a focus ring on every stop that is at least 2 px and contrasts 3:1 with
what is behind it, targets of at least 24 px, reflow at 320 px, and priorities that do not rely on colour."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.axe import assert_accessible
from tests.browser.keyboard import tab_order
from tests.browser.served import STATIC, serve
from tests.browser.shots import screenshot

SPECIMEN = (Path(__file__).parent / "specimen.html").read_text()
TEMPLATES = STATIC.parent / "templates"
PRIORITIES = ("critical", "high", "normal", "low")
CONTROLS = "button, input:not([type=hidden]), select, textarea, summary, .choice label, header a, td > a, .meta a"

SIGNATURE = """selector => [...document.querySelectorAll(selector)].map(element => {
  const own = getComputedStyle(element), mark = getComputedStyle(element, '::before');
  return {text: element.innerText.trim(), border: own.borderStyle + ' ' + own.borderLeftStyle + ' ' + own.borderWidth,
          mark: [mark.content, mark.borderRadius, mark.transform, mark.clipPath, mark.borderStyle].join(' | ')};
})"""


@pytest.fixture
def specimen(page: Page, page_errors: list[str]) -> Page:
    page.goto(serve(page, SPECIMEN))
    assert page.evaluate("getComputedStyle(document.querySelector('body > header')).borderTopWidth") == "8px"
    return page


@pytest.mark.parametrize("width", [1280, 320])
def test_axe_finds_nothing_wide_or_narrow(specimen: Page, page_errors: list[str], width: int) -> None:
    specimen.set_viewport_size({"width": width, "height": 900})
    assert_accessible(specimen)
    assert page_errors == []  # the stylesheet loads under the policy, and nothing inline was refused
    screenshot(specimen, f"stylesheet-specimen-{width}")


def test_the_page_reflows_at_320_px_without_sideways_scrolling(specimen: Page) -> None:
    specimen.set_viewport_size({"width": 320, "height": 900})
    assert specimen.evaluate("document.documentElement.scrollWidth") <= 320
    table = specimen.locator("table")
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"  # a wide table scrolls in its own box


def test_every_tab_stop_shows_a_contrasting_ring_of_at_least_2_px(specimen: Page) -> None:
    order = tab_order(specimen)
    assert len(order) >= 15 and order[0].text == "Skip to main content"
    weak = [f"{stop}: {stop.outline_style} {stop.outline_width} {stop.ring_contrast:.1f}:1" for stop in order
            if stop.outline_style in ("none", "auto") or stop.ring_px < 2 or stop.ring_contrast < 3]  # fmt: skip
    assert weak == []


def test_the_skip_link_is_hidden_until_focused_then_shown(specimen: Page) -> None:
    link = specimen.locator(".skip-link")
    assert link.bounding_box()["y"] < 0  # type: ignore[index]
    specimen.keyboard.press("Tab")
    box = link.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] >= 24


def test_every_control_is_a_target_of_at_least_24_px(specimen: Page) -> None:
    boxes = specimen.eval_on_selector_all(
        CONTROLS, "all => all.map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().toJSON()])"
    )
    assert len(boxes) >= 15
    small = [html for html, box in boxes if box["width"] < 24 or box["height"] < 24]
    assert small == []


def test_each_priority_badge_differs_by_its_word_and_its_shape_not_only_its_colour(specimen: Page) -> None:
    badges = {p: specimen.evaluate(SIGNATURE, f"h3 .badge-{p}")[0] for p in PRIORITIES}
    assert [badges[p]["text"] for p in PRIORITIES] == ["CRITICAL", "HIGH", "NORMAL", "LOW"]  # uppercased by CSS
    assert len({badge["mark"] for badge in badges.values()}) == 4, badges
    cards = {p: specimen.evaluate(SIGNATURE, f".alerts:not(.timeline) .priority-{p}")[0]["border"] for p in PRIORITIES}
    assert len(set(cards.values())) == 4, cards


def test_the_badge_word_stays_in_the_page_text_as_written() -> None:
    """CSS uppercases the badge; screen readers and the page's text keep the template's word ("Critical")."""
    assert re.search(r'<span class="badge badge-critical">Critical</span>', SPECIMEN)


def test_no_template_carries_inline_style_or_script() -> None:
    """The Content-Security-Policy refuses inline styles and scripts: a template with one would be broken."""
    found = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text()
        for pattern in (r"\sstyle\s*=", r"<style", r"<script(?![^>]*\bsrc=)", r"\son[a-z]+\s*=", r"javascript:"):
            found += [f"{template.name}: {pattern}" for _ in re.finditer(pattern, text, flags=re.I)]
    assert found == []
