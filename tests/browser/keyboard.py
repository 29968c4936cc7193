"""Keyboard use, as a person without a mouse meets the page: what Tab reaches, in which order, and whether the
focused element shows where the focus is (WCAG 2.1.1, 2.4.3, 2.4.7; the ring's contrast: 1.4.11)."""

import re
from dataclasses import dataclass

from playwright.sync_api import Page

Colour = tuple[float, float, float, float]

FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  let behind = element.parentElement, background = 'rgba(0, 0, 0, 0)';
  while (behind) {  // the first opaque background under the ring, drawn outside the element
    background = getComputedStyle(behind).backgroundColor;
    if (!/rgba\\(.*, 0\\)$/.test(background)) break;
    behind = behind.parentElement;
  }
  const box = element.getBoundingClientRect();
  return {tag: element.tagName.toLowerCase(), text: (element.innerText || element.value || '').trim().slice(0, 60),
          href: element.getAttribute('href'), outlineStyle: style.outlineStyle, outlineWidth: style.outlineWidth,
          outlineColor: style.outlineColor, boxShadow: style.boxShadow,
          background: behind ? background : 'rgb(255, 255, 255)',
          width: box.width, height: box.height};
}"""


@dataclass(frozen=True)
class Focused:
    """The focused element and its focus indicator, as the browser computed them."""

    tag: str
    text: str
    href: str | None
    outline_style: str
    outline_width: str
    outline_color: str
    box_shadow: str
    background: str
    width: float
    height: float

    @property
    def ring_px(self) -> float:
        return 0.0 if self.outline_style == "none" else float(self.outline_width.removesuffix("px") or 0)

    @property
    def visible(self) -> bool:
        """A drawn outline (the browser's own `auto` ring, or one of ours at least 2 px wide), or a box-shadow."""
        return self.outline_style == "auto" or self.ring_px >= 2 or self.box_shadow != "none"

    @property
    def ring_contrast(self) -> float:
        """The outline's colour against the background it is drawn on."""
        return contrast(parse_colour(self.outline_color), parse_colour(self.background))

    def __str__(self) -> str:
        return f"<{self.tag}> {self.text!r}" + (f" href={self.href}" if self.href else "")


def focused(page: Page) -> Focused | None:
    found = page.evaluate(FOCUSED)
    if found is None:
        return None
    keys = ("tag", "text", "href", "outlineStyle", "outlineWidth", "outlineColor", "boxShadow", "background", "width")
    return Focused(*(found[key] for key in keys), found["height"])


def tab_order(page: Page, limit: int = 60) -> list[Focused]:
    """Press Tab from the top of the page until the focus leaves the page or comes back round; what it reached."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: list[Focused] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None or (reached and now == reached[0]):
            break
        reached.append(now)
    return reached


def parse_colour(css: str) -> Colour:
    """`rgb(r, g, b)` or `rgba(r, g, b, a)` as Chromium computes colours."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    if not css.startswith("rgb") or len(numbers) not in (3, 4):
        raise ValueError(f"not an rgb() colour: {css}")
    return (numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) == 4 else 1.0)


def contrast(one: Colour, other: Colour) -> float:
    """WCAG 2 contrast ratio of two opaque colours (1 to 21)."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _luminance(colour: Colour) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b
