"""The README and docs/ stay in step with the code: every page is linked and every link lands, the event
types listed are the catalogue's, and the topics documented are the ones shared/topics.py creates."""

import re
from pathlib import Path

import pytest

from shared import topics
from shared.payloads import PAYLOADS

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
LINK = re.compile(r"\]\(([^)#]+)(#[^)]*)?\)")


def section(text: str, heading: str) -> str:
    start = text.index(heading)
    following = re.search(r"^## ", text[start + len(heading) :], re.M)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def test_every_docs_page_is_linked_from_the_readme_index() -> None:
    index = section(README.read_text(), "## Documentation")
    linked = {Path(target) for target, _ in LINK.findall(index)}
    assert {page.relative_to(ROOT) for page in DOCS} == linked


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_lands(page: Path) -> None:
    text = page.read_text()
    for target, anchor in LINK.findall(text):
        if target.startswith("http"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to {target}, which does not exist"
        if anchor:
            headings = re.findall(r"^#+ (.+)$", (page.parent / target).read_text(), re.M)
            slugs = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}
            assert anchor[1:] in slugs, f"{page.name} links to {target}{anchor}, a heading it does not have"


def test_the_readme_lists_every_event_type_in_catalogue_order() -> None:
    listed = section(README.read_text(), "**Events**").split("\n\n")[0]
    assert re.findall(r"`([a-z_]+\.[a-z_]+)`", listed) == list(PAYLOADS)


def test_the_event_catalogue_documents_every_event_type_once() -> None:
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", (ROOT / "docs" / "events.md").read_text(), re.M)
    assert sorted(rows) == sorted(PAYLOADS)


def test_the_topics_documented_are_the_topics_created() -> None:
    table = section((ROOT / "docs" / "architecture.md").read_text(), "## Topics")
    documented = set(re.findall(r"`(drr[.-][a-z_.-]+)`", table))
    created = {name for name in topics.ALL if "__assignor" not in name}
    assert documented == created


@pytest.mark.parametrize("page", [README, *DOCS], ids=lambda p: p.name)
def test_every_file_a_page_names_by_its_path_exists(page: Path) -> None:
    named = set(
        re.findall(
            r"\b((?:services|shared|deploy|bench|tests|verifier)/[\w/.-]*\w\.(?:py|yaml|j2|json))", page.read_text()
        )
    )
    assert not {path for path in named if not (ROOT / path).exists()}, page.name
