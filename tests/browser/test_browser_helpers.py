"""The browser tests' own tools, on pages made to fail them: axe finds what is wrong, the keyboard helpers tell a
visible focus ring from a hidden one and follow the Tab order, screenshots land in var/screenshots."""

from playwright.sync_api import Page

from tests.browser.axe import axe_violations, readable
from tests.browser.keyboard import contrast, parse_colour, tab_order
from tests.browser.served import serve
from tests.browser.shots import SCREENSHOTS, screenshot

GOOD = """<!DOCTYPE html><html lang="en"><head><title>Good</title></head>
<body><main><h1>Fine</h1><p>Plain text.</p><a href="/a">First</a> <button type="button">Second</button></main>
</body></html>"""
BAD = """<!DOCTYPE html><html><head><title>Bad</title><link rel="stylesheet" href="/bad.css"></head>
<body><main><h1>Broken</h1><img src="/x.png"><p class="faint">Faint text.</p>
<input type="text"><button type="button" class="bare">Bare</button></main></body></html>"""
BAD_CSS = ".faint { color: #bbb; } .bare:focus { outline: none; }"


def test_axe_finds_nothing_on_a_sound_page(page: Page) -> None:
    page.goto(serve(page, GOOD))
    assert axe_violations(page) == []


def test_axe_finds_a_missing_language_alt_text_label_and_low_contrast(page: Page) -> None:
    page.goto(serve(page, BAD, extra={"/bad.css": BAD_CSS}))
    violations = axe_violations(page)
    assert {"html-has-lang", "image-alt", "label", "color-contrast"} <= {v["id"] for v in violations}
    report = readable(violations)
    assert "image-alt (critical)" in report and "https://dequeuniversity.com/rules/axe/4.14/" in report
    assert 'at p: <p class="faint">Faint text.</p>' in report and "contrast of 1.91" in report


def test_tab_order_follows_the_page_and_sees_the_browsers_own_focus_ring(page: Page) -> None:
    page.goto(serve(page, GOOD))
    order = tab_order(page)
    assert [(f.tag, f.text) for f in order] == [("a", "First"), ("button", "Second")]
    assert all(f.visible for f in order), [f.outline_style for f in order]


def test_a_removed_focus_ring_is_not_visible(page: Page) -> None:
    page.goto(serve(page, BAD, extra={"/bad.css": BAD_CSS}))
    bare = next(f for f in tab_order(page) if f.text == "Bare")
    assert (bare.outline_style, bare.box_shadow, bare.visible) == ("none", "none", False)


def test_contrast_ratios_match_the_wcag_formula() -> None:
    white, black = parse_colour("rgb(255, 255, 255)"), parse_colour("rgb(0, 0, 0)")
    assert round(contrast(white, black), 1) == 21.0
    assert round(contrast(parse_colour("rgb(118, 118, 118)"), white), 2) == 4.54  # the lightest grey passing AA
    assert contrast(white, white) == 1.0


def test_screenshot_writes_a_png_under_var_screenshots(page: Page) -> None:
    page.goto(serve(page, GOOD))
    path = screenshot(page, "helpers-good-page")
    assert path.parent == SCREENSHOTS and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
