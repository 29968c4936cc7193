"""The AsyncAPI 3.0 document for the Kafka topics in shared/topics.py and the messages they carry."""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared import topics
from shared.audit_records import AuditRecord
from shared.deliveries import Delivery
from shared.events import EVENT_MODELS
from shared.team import CaseTeam

REF = "#/components/schemas/{model}"
CASE_KEY = {"kafka": {"key": {"type": "string", "description": "the case id"}, "bindingVersion": "0.5.0"}}
DESCRIPTIONS = {
    topics.EVENTS: "Accepted agency events, one message per event (intake -> router).",
    topics.DELIVERIES: "One redacted delivery per recipient (router -> notifier).",
    topics.AUDIT: (
        "Audit records from every service: identifiers, field names and keyed digests only (-> audit), each in "
        "canonical JSON, signed by its producer (headers drr-signer, drr-signature: base64 Ed25519)."
    ),
    topics.DEAD_LETTERS: "Messages a service could not process or deliver, as received, with the error in a header.",
    topics.CASE_TEAMS_CHANGELOG: "The router's case-team table (Faust changelog, compacted).",
    topics.CASE_KEYS: (
        "Each case's data key wrapped by the key-encryption key (compacted; a tombstone erases the case). "
        "Read by intake and the notifier only."
    ),
    topics.CASE_DIGEST_KEYS: "Each case's digest-key salt (compacted; a tombstone erases the case).",
    topics.ERASURES: "Erasure commands by case id (router -> router, notifier): crypto-shredding at retention's end.",
}


def _message(name: str, schema_name: str, summary: str) -> dict[str, Any]:
    return {"name": name, "summary": summary, "contentType": "application/json",
            "payload": {"$ref": REF.format(model=schema_name)}, "bindings": CASE_KEY}  # fmt: skip


def _channel(topic: str, messages: dict[str, str]) -> dict[str, Any]:
    refs = {name: {"$ref": f"#/components/messages/{name}"} for name in messages}
    return {
        "address": topic,
        "description": DESCRIPTIONS.get(topic, "Faust's own coordination topic."),
        "messages": refs,
    }


def asyncapi_document() -> dict[str, Any]:
    models: list[type[BaseModel]] = [*EVENT_MODELS.values(), Delivery, AuditRecord, CaseTeam]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    messages = {m.__name__: _message(m.__name__, m.__name__, f"{t} event") for t, m in EVENT_MODELS.items()}
    messages |= {n: _message(n, n, n) for n in ("Delivery", "AuditRecord", "CaseTeam")}
    messages["DeadLetter"] = {"name": "DeadLetter", "summary": "the original bytes", "payload": {"type": "string"}}
    per_topic = {
        topics.EVENTS: {m.__name__: m.__name__ for m in EVENT_MODELS.values()},
        topics.DELIVERIES: {"Delivery": "Delivery"},
        topics.AUDIT: {"AuditRecord": "AuditRecord"},
        topics.DEAD_LETTERS: {"DeadLetter": "DeadLetter"},
        topics.CASE_TEAMS_CHANGELOG: {"CaseTeam": "CaseTeam"},
    }
    channels = {topic: _channel(topic, per_topic.get(topic, {})) for topic in topics.ALL}
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "drr-notify topics", "version": "1", "description": __doc__},
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": _operations(),
        "components": {"messages": messages, "schemas": top["$defs"]},
    }


def _operations() -> dict[str, Any]:
    def op(action: str, topic: str, summary: str) -> dict[str, Any]:
        return {"action": action, "channel": {"$ref": f"#/channels/{topic}"}, "summary": summary}

    return {
        "intakePublishesEvents": op("send", topics.EVENTS, "intake, after validation and authorisation"),
        "routerReceivesEvents": op("receive", topics.EVENTS, "router"),
        "routerSendsDeliveries": op("send", topics.DELIVERIES, "router"),
        "notifierReceivesDeliveries": op("receive", topics.DELIVERIES, "notifier"),
        "servicesSendAuditRecords": op("send", topics.AUDIT, "intake, router, notifier"),
        "auditReceivesAuditRecords": op("receive", topics.AUDIT, "audit"),
        "servicesSendDeadLetters": op("send", topics.DEAD_LETTERS, "router, notifier"),
    }
