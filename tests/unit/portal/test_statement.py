"""The person's statement (services/portal/statement.py, templates/statement.html): built from the
deliveries a real team gets (example events sealed as intake seals them, routed by the real policy as the
router routes them), it names every agency told and the kinds of information, never a value."""

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

import pytest

from services.intake.adapters import Sealer
from services.portal.pages import Pages
from services.portal.statement import Statement, statement_of
from services.portal.statement_labels import POLICY_WORDING, citation
from services.router.routing import EventFacts, delivery_for
from shared.case_crypto import CaseKeys
from shared.deliveries import Delivery
from shared.events import parse_event
from shared.examples import CLINICAL_EXAMPLE, EXAMPLES
from shared.policy import CaseState, decide, load_policy
from shared.roles import Role
from shared.sensitivity import Sensitivity
from tests.case_keys_kit import memory_keys
from tests.unit.policy.policy_cases import agreement, member, team_of

CASE = "C-STATEMENT"
POLICY = load_policy()
TEAM = team_of(member(Role.CASE_MANAGER), member(Role.POLICE), member(Role.MENTAL_HEALTH), member(Role.COMMUNITY))
LATE_EVENING = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
"""The trigger's moment: still 20 November in UTC, already 21 November in Stockholm."""
SECRETS = [
    CLINICAL_EXAMPLE,
    EXAMPLES["trigger.reported"]["description"],
    EXAMPLES["risk_assessment.updated"]["intelligence_detail"],
    EXAMPLES["risk_assessment.updated"]["summary"],
    EXAMPLES["appointment.missed"]["reason"],
    "bereavement",  # the trigger's type is a payload value too: the statement says what kind, not which
    "A1234BC",  # the person's prison number travels with every delivery
]


def wire_event(event_type: str, at: datetime, **payload: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "occurred_at": at.isoformat(),
        "source": {"agency": "probation", "system": "tests"},
        "case_id": CASE,
        "person": {"identifiers": [{"type": "prison_number", "value": "A1234BC"}]},
        "payload": {**EXAMPLES[event_type], **payload},
    }


async def routed(raw: dict[str, Any], state: CaseState, keys: CaseKeys, seal: bool = True) -> list[Delivery]:
    """What the router makes of the event as intake published it: one delivery per member told something."""
    event, _ = await Sealer(keys, seal_fields=seal).sealed(parse_event(raw))
    facts = EventFacts.of(event, await keys.digests.ensure(CASE))
    return [delivery_for(facts, d) for d in decide(event, state, POLICY) if d.shares]


async def case_history(seal: bool = True) -> list[Delivery]:
    """A trigger with clinical notes, a risk assessment with police intelligence, a missed appointment that
    the probation service then retracts; the clinical agreement in force with the person's consent. Sealed
    as in production, or clear (sealing off, as a bench run may): then the payloads hold the clinical text."""
    keys = memory_keys()
    state = CaseState(team=TEAM, agreements={"DRR-CLINICAL-ISA": agreement(consent="given")})

    async def route(event_type: str, day: int, **payload: Any) -> list[Delivery]:
        moment = LATE_EVENING if day == 20 else datetime(2026, 11, day, 10, tzinfo=UTC)
        return await routed(wire_event(event_type, moment, **payload), state, keys, seal)

    told = await route("trigger.reported", 20) + await route("risk_assessment.updated", 22)
    missed = await route("appointment.missed", 23)
    state = state.model_copy(update={"sent": {str(missed[0].event_id): [d.recipient for d in missed]}})
    return told + missed + await route("event.retracted", 24, retracted_event_id=str(missed[0].event_id))


@pytest.fixture
async def deliveries() -> list[Delivery]:
    return await case_history()


def lines_of(statement: Statement, agency: str, information_start: str) -> list[Any]:
    return [ln for ln in statement.lines if ln.agency == agency and ln.information.startswith(information_start)]


def values_of(deliveries: list[Delivery]) -> list[str]:
    """SECRETS and every ciphertext and digest the deliveries carry (the router copies sealed values as they
    are); a clear history must hold the clinical text itself, or its test proves nothing."""
    payloads = json.dumps([d.payload for d in deliveries])
    found = re.findall(r'"(?:sealed|digest)": "([^"]+)"', payloads)
    assert found or CLINICAL_EXAMPLE in payloads
    return SECRETS + found


def test_the_history_is_sealed_as_on_the_wire(deliveries: list[Delivery]) -> None:
    manager = next(d for d in deliveries if d.recipient.role == Role.MENTAL_HEALTH)
    assert set(manager.payload["clinical_notes"]) == {"sealed", "digest"}


def test_every_agency_told_is_named_with_how_often(deliveries: list[Delivery]) -> None:
    statement = statement_of(CASE, deliveries)
    assert statement.agencies == (
        "Community organisation: told about 4 events",
        "Mental-health services: told about 4 events",
        "Police: told about 4 events",
        "Probation service: told about 4 events",
    )
    assert {(ln.agency, ln.role) for ln in statement.lines} == {
        ("Community organisation", "community worker"),
        ("Mental-health services", "mental-health worker"),
        ("Police", "police officer"),
        ("Probation service", "case manager"),
    }


def test_each_line_says_the_kinds_shared_and_why(deliveries: list[Delivery]) -> None:
    statement = statement_of(CASE, deliveries)
    [mental_health] = lines_of(statement, "Mental-health services", "That a difficult event")
    assert "health and treatment information" in mental_health.classes
    assert "assessments of risk" in mental_health.classes and mental_health.notes == ()
    assert "Continuity of care across custody and release" in mental_health.purpose
    assert "GDPR Art. 9(2)(h)" in mental_health.legal_basis
    [manager] = lines_of(statement, "Probation service", "That a difficult event")
    assert manager.agreement == "Under the agreement DRR-CLINICAL-ISA@2"


def test_withheld_only_classes_are_not_listed_as_shared(deliveries: list[Delivery]) -> None:
    statement = statement_of(CASE, deliveries)
    [community] = lines_of(statement, "Community organisation", "That a difficult event")
    assert community.classes == ("identifying details", "practical details such as dates, places and appointments")
    assert community.notes == ("Some information was withheld from them.",)
    [police] = lines_of(statement, "Police", "That a difficult event")
    assert "health and treatment information" not in police.classes and "assessments of risk" in police.classes


def test_police_intelligence_is_named_only_when_the_caller_lifts_the_restriction(deliveries: list[Delivery]) -> None:
    [default] = lines_of(statement_of(CASE, deliveries), "Police", "An updated risk assessment")
    assert "police intelligence" not in default.classes
    [lifted] = lines_of(statement_of(CASE, deliveries, restricted=frozenset()), "Police", "An updated risk")
    assert "police intelligence" in lifted.classes
    restricted: frozenset[Sensitivity] = frozenset({Sensitivity.CLINICAL})
    [manager] = lines_of(statement_of(CASE, deliveries, restricted=restricted), "Probation service", "That a")
    assert "health and treatment information" not in manager.classes


def test_a_retracted_event_is_still_listed_and_said_to_be_withdrawn(deliveries: list[Delivery]) -> None:
    statement = statement_of(CASE, deliveries)
    missed = [ln for ln in statement.lines if ln.information == "An appointment you missed"]
    assert len(missed) == 4 and all("This information was later withdrawn." in ln.notes for ln in missed)
    retractions = [ln for ln in statement.lines if ln.information == "That earlier information was withdrawn"]
    assert {ln.agency for ln in retractions} == {ln.agency for ln in missed}
    others = [ln for ln in statement.lines if ln not in missed]
    assert all("This information was later withdrawn." not in ln.notes for ln in others)


def test_dates_are_the_persons_in_their_time_zone_and_locale(deliveries: list[Delivery]) -> None:
    utc = statement_of(CASE, deliveries)
    stockholm = statement_of(CASE, deliveries, time_zone="Europe/Stockholm", language="fr")
    assert utc.lines[0].day.isoformat() == "2026-11-20" and utc.lines[0].when == "20 November 2026"
    assert stockholm.lines[0].day.isoformat() == "2026-11-21" and stockholm.lines[0].when == "21 novembre 2026"
    assert [ln.day for ln in utc.lines] == sorted(ln.day for ln in utc.lines)


def test_a_replayed_delivery_counts_once_and_another_cases_delivery_is_refused(deliveries: list[Delivery]) -> None:
    assert statement_of(CASE, deliveries + deliveries[:3]) == statement_of(CASE, deliveries)
    with pytest.raises(ValueError, match="another case"):
        statement_of(CASE, [*deliveries, deliveries[0].model_copy(update={"case_id": "C-OTHER"})])


def page(statement: Statement) -> str:
    """The page as the portal renders it (its own Pages: autoescaped, strict)."""
    return bytes(Pages().render("statement.html", statement=statement, lang=statement.language).body).decode()


@pytest.mark.parametrize("seal", [True, False], ids=["sealed", "clear"])
async def test_the_page_lists_agencies_in_a_captioned_table_and_never_a_value(seal: bool) -> None:
    deliveries = await case_history(seal)
    statement = statement_of(CASE, deliveries, person_name="Zoë Ångström")
    html = page(statement)
    assert "<caption>Information shared about you in case C-STATEMENT</caption>" in html
    assert html.count('<th scope="row">') == len(statement.lines) == 16
    for agency in ("Police (police officer)", "Mental-health services", "Community organisation", "Zoë Ångström"):
        assert agency in html
    for secret in values_of(deliveries):
        assert secret not in html
    assert "style=" not in html and "<script" not in html and "<style" not in html


def test_a_statement_with_nothing_shared_says_so_without_a_table() -> None:
    html = page(statement_of(CASE, []))
    assert "No information about you has been shared with any agency yet." in html and "<table" not in html


class TextNodes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside, self.texts = False, []  # type: tuple[bool, list[str]]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = self.inside or tag == "article"

    def handle_data(self, data: str) -> None:
        if self.inside and data.strip():
            self.texts.append(data.strip())


def translated(text: str) -> bool:
    """Only marked texts (marks may nest: an agency inside a sentence), joined by spaces or brackets."""
    unmarked, text = text, re.sub(r"«[^«»]*»", "", text)
    while text != unmarked:
        unmarked, text = text, re.sub(r"«[^«»]*»", "", text)
    return re.fullmatch(r"[\s();]*", text) is not None


def test_every_text_of_the_page_goes_through_gettext(deliveries: list[Delivery]) -> None:
    """With a `_` that marks what it translated, the only unmarked texts are data: the case id, the
    person's name, dates, and the punctuation joining a line's agency and role."""
    marked = statement_of(CASE, deliveries, person_name="Sam", _=lambda s: f"«{s}»", ngettext=lambda s, p, n: f"«{p}»")
    parser = TextNodes()
    parser.feed(page(marked))
    data = {CASE, "Sam"} | {ln.when for ln in marked.lines}
    unmarked = [t for t in parser.texts if t not in data and not translated(t)]
    assert unmarked == []
    assert len(parser.texts) > 50


def test_a_citation_is_translated_part_by_part_only_when_every_part_is_the_policys() -> None:
    mark = "«{}»".format
    risk = "GDPR Art. 6(1)(e); for police, Directive (EU) 2016/680 Art. 8"  # holds "; " itself
    team = "GDPR Art. 6(1)(e): public task of supervising and supporting reintegration"
    assert citation(f"{team}; {risk}", mark) == f"«{team}»; «{risk}»"
    assert citation(f"{team}; a local basis", mark) == f"{team}; a local basis"
    assert citation(None, mark) == ""


def test_the_policy_wording_marked_for_translation_is_the_default_policys() -> None:
    rules = load_policy().spec.rules
    wording = {text for r in rules if r.effect == "allow" for text in (r.purpose, r.legal_basis) if text}
    assert set(POLICY_WORDING) == wording
