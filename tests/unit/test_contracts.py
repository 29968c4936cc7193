"""The committed contract documents are what the models generate, and every example is valid."""

import json
from pathlib import Path

import jsonschema
import pytest

from services.intake import contracts
from shared import topics
from shared.events import EVENT_MODELS, parse_event

SCHEMAS = Path(contracts.__file__).resolve().parents[2] / "schemas"


def load(name: str) -> dict[str, object]:
    return dict(json.loads((SCHEMAS / name).read_text()))


def test_the_committed_documents_are_what_the_models_generate() -> None:
    stale = contracts.differences(SCHEMAS)
    assert stale == [], f"run `python -m services.intake.contracts write` and commit schemas/: {stale}"


def test_a_model_change_is_noticed(tmp_path: Path) -> None:
    contracts.write(tmp_path)
    assert contracts.differences(tmp_path) == []
    (tmp_path / "events/case.closed.json").write_text("{}\n")
    (tmp_path / "events/case.reopened.json").write_text("{}\n")
    assert contracts.differences(tmp_path) == ["events/case.closed.json", "events/case.reopened.json"]


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_each_example_is_valid_against_its_schema_and_the_model(event_type: str) -> None:
    schema, example = load(f"events/{event_type}.json"), load(f"examples/{event_type}.json")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(example)
    assert parse_event(example).event_type == event_type


@pytest.mark.parametrize("event_type", sorted(EVENT_MODELS))
def test_a_schema_refuses_what_the_model_refuses(event_type: str) -> None:
    validator = jsonschema.Draft202012Validator(load(f"events/{event_type}.json"))
    example = load(f"examples/{event_type}.json")
    assert not validator.is_valid({**example, "unknown_field": 1})
    assert not validator.is_valid({k: v for k, v in example.items() if k != "case_id"})


def test_the_asyncapi_document_describes_every_topic_and_every_event_type() -> None:
    document = load("asyncapi.json")
    assert document["asyncapi"] == "3.0.0"
    channels = document["channels"]
    assert isinstance(channels, dict) and {c["address"] for c in channels.values()} == set(topics.ALL)
    events = channels[topics.EVENTS]["messages"]
    assert set(events) == {m.__name__ for m in EVENT_MODELS.values()}
    messages = document["components"]["messages"]  # type: ignore[index]
    for ref in [m["$ref"] for c in channels.values() for m in c["messages"].values()]:
        assert ref.removeprefix("#/components/messages/") in messages
    schemas = document["components"]["schemas"]  # type: ignore[index]
    for event_type, model in EVENT_MODELS.items():
        example = load(f"examples/{event_type}.json")
        in_document = {"$ref": f"#/components/schemas/{model.__name__}", "components": {"schemas": schemas}}
        jsonschema.Draft202012Validator(in_document).validate(example)
