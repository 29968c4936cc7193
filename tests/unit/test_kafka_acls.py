"""shared/kafka_acls.py against what the code really uses: the Faust apps are built (no broker) and
asked which topics their agents read and which changelogs their tables keep; the topics every app
declares must all be granted; and every topic in shared/topics.py has its readers and writers."""

from typing import Any

import faust
import pytest

from services.audit.consumer import GROUP_ID
from services.notifier.app import build as build_notifier
from services.notifier.bootstrap import NotifierSettings
from services.router.app import build as build_router
from services.router.bootstrap import RouterSettings
from shared import kafka_acls, topics
from shared.kafka_acls import AUDIT, INTAKE, NOTIFIER, PORTAL, READS, ROUTER, SERVICES, WRITES, Grant, grants


def built(principal: str, monkeypatch: pytest.MonkeyPatch) -> tuple[faust.App, set[str]]:
    """The service's Faust app, and the name of every topic it declared while being built."""
    declared: set[str] = set()
    original = faust.App.topic

    def topic(self: faust.App, *names: str, **options: Any) -> Any:
        declared.update(names)
        return original(self, *names, **options)

    monkeypatch.setattr(faust.App, "topic", topic)
    app = build_router(RouterSettings()) if principal == ROUTER else build_notifier(NotifierSettings())
    return app, declared


def agent_sources(app: faust.App) -> set[str]:
    return {name for agent in app.agents.values() for name in agent.channel.topics}


def changelogs(app: faust.App) -> set[str]:
    return {table.changelog_topic.get_topic_name() for table in app.tables.values()}


@pytest.mark.parametrize("principal", [ROUTER, NOTIFIER])
def test_a_faust_app_reads_exactly_its_agents_sources_its_changelogs_and_its_leader_topic(
    principal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = built(principal, monkeypatch)
    expected = agent_sources(app) | changelogs(app) | {topics.faust_leader_topic(app.conf.id)}
    assert READS[principal] == expected | kafka_acls.KEY_READS[principal]


@pytest.mark.parametrize("principal", [ROUTER, NOTIFIER])
def test_a_faust_app_may_write_its_changelogs_and_every_topic_it_declares(
    principal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, declared = built(principal, monkeypatch)
    assert changelogs(app) <= WRITES[principal], "a table could not record its changes"
    assert declared - agent_sources(app) <= WRITES[principal], "a topic it sends to is not granted"
    assert kafka_acls.GROUPS[principal] == (app.conf.id, False), "faust's consumer group is its app id"


def test_every_topic_is_written_by_someone_and_read_by_someone() -> None:
    written = set().union(*WRITES.values())
    read = set().union(*READS.values())
    leaders = {topics.faust_leader_topic(topics.ROUTER_APP_ID), topics.faust_leader_topic(topics.NOTIFIER_APP_ID)}
    assert read == set(topics.ALL) - {topics.DEAD_LETTERS}, "dead letters are for an operator (the admin)"
    assert written == set(topics.ALL) - leaders, "faust reads its leader topic, never writes it"


WRITERS = {
    topics.EVENTS: {INTAKE},
    topics.DELIVERIES: {ROUTER},
    topics.AUDIT: {INTAKE, ROUTER, NOTIFIER, AUDIT},
    topics.DEAD_LETTERS: {ROUTER, NOTIFIER, AUDIT},
    topics.ACKS: {NOTIFIER, PORTAL},
    topics.CASE_KEYS: {INTAKE, ROUTER},
    topics.CASE_DIGEST_KEYS: {INTAKE, ROUTER},
    topics.ERASURES: {ROUTER},
}
READERS = {
    topics.EVENTS: {ROUTER, NOTIFIER},
    topics.DELIVERIES: {NOTIFIER, PORTAL},
    topics.AUDIT: {AUDIT},
    topics.CASE_KEYS: {INTAKE, NOTIFIER, PORTAL},  # the data keys: never the router, which copies ciphertext
    topics.CASE_DIGEST_KEYS: {INTAKE, ROUTER, NOTIFIER, PORTAL},
    topics.ERASURES: {ROUTER, NOTIFIER, PORTAL},
    topics.CASE_TEAMS_CHANGELOG: {ROUTER, PORTAL},
    topics.CASE_ACCESS_CHANGELOG: {ROUTER, PORTAL},
    topics.NOTIFIER_ACKS_CHANGELOG: {NOTIFIER, PORTAL},
}


@pytest.mark.parametrize("topic", sorted(WRITERS))
def test_who_may_write_each_shared_topic(topic: str) -> None:
    assert {p for p in SERVICES if topic in WRITES[p]} == WRITERS[topic]


@pytest.mark.parametrize("topic", sorted(READERS))
def test_who_may_read_each_shared_topic(topic: str) -> None:
    """drr.events (clinical and intelligence detail) is read by the router and the notifier only."""
    assert {p for p in SERVICES if topic in READS[p]} == READERS[topic]


def test_a_faust_apps_own_topics_are_its_alone_but_for_what_the_portal_shows() -> None:
    """The portal reads the team, access and acknowledgement changelogs and writes acknowledgements; no one
    else touches a Faust app's own topics."""
    portal = {topics.CASE_TEAMS_CHANGELOG, topics.CASE_ACCESS_CHANGELOG, topics.NOTIFIER_ACKS_CHANGELOG}
    for owner, own in ((ROUTER, kafka_acls.ROUTER_OWN), (NOTIFIER, kafka_acls.NOTIFIER_OWN)):
        others = [p for p in SERVICES if p not in (owner, PORTAL)]
        assert not any(own & (READS[p] | WRITES[p]) for p in others), f"another service touches {owner}'s topics"
    assert READS[PORTAL] & (kafka_acls.ROUTER_OWN | kafka_acls.NOTIFIER_OWN) == portal
    assert WRITES[PORTAL] == {topics.ACKS}, "the portal writes acknowledgements, nothing else"


def test_the_portal_never_reads_the_events_and_needs_no_consumer_group() -> None:
    assert topics.EVENTS not in READS[PORTAL] and PORTAL not in kafka_acls.GROUPS


def test_the_audit_group_is_the_audit_services_and_admin_has_no_grants() -> None:
    assert kafka_acls.GROUPS[AUDIT] == (GROUP_ID, True)
    assert all(g.principal in SERVICES for g in grants()), "the admin is a super user; it needs no ACL"
    assert Grant(INTAKE, kafka_acls.Operation.WRITE, kafka_acls.Resource.TOPIC, topics.EVENTS) in grants()
