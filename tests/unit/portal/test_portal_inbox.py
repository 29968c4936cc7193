"""The practitioner's inbox and case pages (services/portal/inbox.py, views.py) over deliveries the real
policy made from sealed events: each practitioner sees what they were sent and nothing else; acknowledging
takes an outcome and goes onto drr.notifier-acks with the comment sealed; every other caller is refused, and
a case someone may not see answers 404, exactly as a case that does not exist."""

import re

import httpx
import pytest

from services.portal.case_data import CaseData
from shared.acks import panel_action_ack_id
from tests.unit.portal.inbox_kit import CASE, CLINICAL_NOTES, DESCRIPTION, CaseFeed, demo_case
from tests.unit.portal.portal_kit import sign_in

POLICE = {"practitioner_id": "p-pol-3", "agency": "police", "name": "Ana Ferreira"}
OUTSIDER = {"practitioner_id": "p-com-9", "agency": "community", "name": "Not On The Team"}


@pytest.fixture
async def feed(case_data: CaseData) -> CaseFeed:
    return await demo_case(case_data)


async def csrf_of(browser: httpx.AsyncClient, path: str = "/") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', (await browser.get(path)).text)
    assert found
    return found.group(1)


def trigger_id(feed: CaseFeed, practitioner_id: str) -> str:
    deliveries = feed.data.book.deliveries[CASE].values()
    [mine] = [
        d for d in deliveries if d.event_type == "trigger.reported" and d.recipient.practitioner_id == practitioner_id
    ]
    return str(mine.delivery_id)


async def test_the_case_manager_sees_the_critical_trigger_opened_for_her(browser, issuer, feed):
    await sign_in(browser, issuer)
    page = (await browser.get("/")).text
    assert "Open alerts (2)" in page, "the trigger and the panel decision"
    assert 'class="badge badge-critical">Critical' in page
    assert DESCRIPTION in page and CLINICAL_NOTES in page, "sealed fields opened for the page that shows them"
    assert '"sealed"' not in page and "Home visit" in page and "2026-12-08" in page


async def test_the_police_officer_never_sees_the_clinical_notes(browser, issuer, feed):
    await sign_in(browser, issuer, **POLICE)
    for path in ("/", f"/cases/{CASE}", "/inbox/open"):
        page = (await browser.get(path)).text
        assert DESCRIPTION in page, f"{path}: the risk description is the police's to see"
        assert CLINICAL_NOTES not in page and "sertraline" not in page.lower(), path
    assert "No panel actions for you." in (await browser.get("/")).text, "the home visit is the case manager's"


async def test_acknowledging_with_an_outcome_publishes_it_with_the_comment_sealed(browser, issuer, feed):
    await sign_in(browser, issuer)
    delivery_id = trigger_id(feed, "p-cm-1")
    form = {"csrf_token": await csrf_of(browser), "outcome": "contacted_person", "comment": "Called him at 10:05."}
    answer = await browser.post(f"/alerts/{delivery_id}/ack", data=form)
    assert answer.status_code == 303 and answer.headers["location"] == f"/cases/{CASE}?acknowledged=pending"
    [(key, message)] = feed.data._send.sent  # type: ignore[attr-defined]
    assert key == CASE.encode() and message["delivery_id"] == delivery_id and message["via"] == "portal"
    assert (message["recipient_id"], message["outcome"]) == ("p-cm-1", "contacted_person")
    assert "Called him" not in str(message) and set(message["comment"]) == {"sealed", "digest"}

    feed.notifier_records(message)
    page = (await browser.get(f"/cases/{CASE}")).text
    assert "You acknowledged this alert: I contacted the person." in page


async def test_who_else_acknowledged_shows_on_the_others_alert(browser, issuer, feed):
    feed.notifier_records(
        {
            "delivery_id": trigger_id(feed, "p-cm-1"),
            "case_id": CASE,
            "recipient_id": "p-cm-1",
            "outcome": "informed_team",
        }
    )
    await sign_in(browser, issuer, **POLICE)
    page = (await browser.get("/")).text
    assert "Also acknowledged by:" in page and "Sam Okafor (I informed the team)" in page


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"outcome": "ignored_it"}, 422, "unknown_outcome"),
        ({}, 422, "unknown_outcome"),
        ({"outcome": "other"}, 422, "comment_required"),
        ({"outcome": "other", "comment": "x" * 2001}, 422, "comment_too_long"),
    ],
)
async def test_a_bad_acknowledgement_is_refused_with_a_reason_and_nothing_is_sent(
    browser, issuer, feed, form, status, error
):
    await sign_in(browser, issuer)
    answer = await browser.post(
        f"/alerts/{trigger_id(feed, 'p-cm-1')}/ack", data={"csrf_token": await csrf_of(browser), **form}
    )
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert feed.data._send.sent == []  # type: ignore[attr-defined]


async def test_acknowledging_without_the_forms_token_or_someone_elses_alert_is_refused(browser, issuer, feed):
    await sign_in(browser, issuer, **POLICE)
    theirs = trigger_id(feed, "p-cm-1")
    answer = await browser.post(f"/alerts/{trigger_id(feed, 'p-pol-3')}/ack", data={"outcome": "informed_team"})
    assert (answer.status_code, answer.json()["error"]) == (403, "csrf_missing")
    token = await csrf_of(browser)
    answer = await browser.post(f"/alerts/{theirs}/ack", data={"csrf_token": token, "outcome": "informed_team"})
    assert answer.status_code == 404, "the case manager's alert is not the police officer's to acknowledge"
    assert feed.data._send.sent == []  # type: ignore[attr-defined]


async def test_a_case_someone_may_not_see_is_404_like_a_case_that_does_not_exist(browser, issuer, feed):
    await sign_in(browser, issuer, **OUTSIDER)
    hidden, missing = await browser.get(f"/cases/{CASE}"), await browser.get("/cases/NO-SUCH-CASE")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text and DESCRIPTION not in hidden.text


async def test_a_practitioner_removed_from_the_team_gets_404_and_their_alerts_go(browser, issuer, feed):
    await sign_in(browser, issuer, **POLICE)
    assert (await browser.get(f"/cases/{CASE}")).status_code == 200
    await feed.publish("team.member_left", {"practitioner_id": "p-pol-3"})
    assert (await browser.get(f"/cases/{CASE}")).status_code == 404
    assert DESCRIPTION not in (await browser.get("/")).text


async def test_an_excluded_agency_gets_404(browser, issuer, feed):
    await sign_in(browser, issuer, **POLICE)
    restriction = {"excluded_agencies": ["police"], "reason_code": "conflict_of_interest"}
    await feed.publish("case.access_restricted", restriction)
    assert (await browser.get(f"/cases/{CASE}")).status_code == 404


async def test_the_case_page_shows_the_team_and_the_timeline_of_what_she_was_sent(browser, issuer, feed):
    await sign_in(browser, issuer)
    page = (await browser.get(f"/cases/{CASE}")).text
    for name in ("Sam Okafor", "Ana Ferreira", "Dr Lena Novak"):
        assert name in page
    assert page.index("Panel: decision") < page.index("Trigger: reported"), "newest first"


async def test_a_panel_action_is_marked_done_under_the_id_the_notifier_chases(browser, issuer, feed):
    await sign_in(browser, issuer)
    [decision] = [
        d
        for d in feed.data.book.deliveries[CASE].values()
        if d.event_type == "panel.decision" and d.recipient.practitioner_id == "p-cm-1"
    ]
    ack_id = str(panel_action_ack_id(decision.event_id, 0, "p-cm-1"))
    form = {"csrf_token": await csrf_of(browser), "outcome": "informed_team"}
    assert (await browser.post(f"/actions/{ack_id}/ack", data=form)).status_code == 303
    assert feed.data._send.sent[0][1]["delivery_id"] == ack_id  # type: ignore[attr-defined]
    assert (
        await browser.post(f"/actions/{panel_action_ack_id(decision.event_id, 1, 'p-cm-1')}/ack", data=form)
    ).status_code == 404


async def test_the_live_parts_need_a_session(browser, feed):
    for path in ("/inbox/open", "/events"):
        answer = await browser.get(path)
        assert (answer.status_code, answer.json()["error"]) == (401, "not_signed_in")
    assert (await browser.get(f"/cases/{CASE}")).status_code == 303


async def test_an_erased_case_leaves_the_book(feed):
    from shared import topics

    feed.data.book.fold(topics.ERASURES, CASE.encode(), b'{"case_id": "C-INBOX"}')
    assert CASE not in feed.data.book.deliveries and CASE not in feed.data.book.teams
    await feed.publish(
        "trigger.reported",
        {
            "trigger_type": "bereavement",
            "severity": "high",
            "observed_at": "2026-12-05T08:00:00+00:00",
            "description": "late",
        },
    )
    assert CASE not in feed.data.book.deliveries, "a delivery read after the erasure is not kept"
