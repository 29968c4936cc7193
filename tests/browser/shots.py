"""Screenshots of the pages the browser tests visit, for people to look at (var/screenshots/, git-ignored; the
README shows some of them)."""

from pathlib import Path

from playwright.sync_api import Page

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def screenshot(page: Page, name: str) -> Path:
    """The whole page as var/screenshots/<name>.png (replacing an earlier run's)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
