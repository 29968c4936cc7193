"""The contract documents, generated from the same pydantic models the services run on.

    python -m services.intake.contracts write   # regenerate schemas/
    python -m services.intake.contracts check   # exit 1 if schemas/ differs from the models

schemas/openapi.json (intake's HTTP API), schemas/events/<type>.json (one JSON Schema per event type),
schemas/examples/<type>.json (a valid example per type), schemas/asyncapi.json (the Kafka topics).
"""

import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.access import DEFAULT_PERMISSIONS, allows
from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.asyncapi import asyncapi_document
from services.intake.bootstrap import IntakeSettings
from services.intake.messages import SERVICE
from services.intake.store import SqliteStore
from shared.case_crypto import write_kek_file
from shared.digests import write_digest_key
from shared.events import EVENT_MODELS
from shared.examples import EXAMPLES
from shared.record_signing import RecordSigner

ROOT = Path(__file__).resolve().parents[2] / "schemas"
SCHEMA_ID = "https://drr-notify.example/schemas/events/{}.json"


def openapi_document() -> dict[str, Any]:
    """Built with throwaway keys: the document depends neither on what is stored nor on any key."""
    store = SqliteStore(":memory:")
    with tempfile.TemporaryDirectory() as keys:
        write_digest_key(Path(keys) / "digests.key")
        write_kek_file(Path(keys) / "kek.json")
        settings = IntakeSettings(digest_key_path=Path(keys) / "digests.key", kek_uri=str(Path(keys) / "kek.json"))
        signer = RecordSigner(SERVICE, Ed25519PrivateKey.generate())
        publisher = KafkaPublisher({"bootstrap_servers": "unused:9092"}, signer)
        try:
            return create_app(settings, publisher, store, store, connect=False).openapi()
        finally:
            store.close()


def event_schema(event_type: str) -> dict[str, Any]:
    schema = EVENT_MODELS[event_type].model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID.format(event_type), **schema}


def example_event(event_type: str) -> dict[str, Any]:
    """An envelope around shared/examples.py's payload, from an agency allowed to publish it."""
    agency = next(a for a, patterns in DEFAULT_PERMISSIONS.items() if allows(patterns, event_type))
    return {
        "event_id": str(uuid5(NAMESPACE_URL, f"drr:example:{event_type}")),
        "event_type": event_type,
        "version": 1,
        "occurred_at": "2026-11-25T09:30:00+00:00",
        "source": {"agency": agency.value, "system": f"{agency.value}-case-system"},
        "case_id": "C-2026-0042",
        "person": {"identifiers": [{"type": "nomis", "value": "A1234BC"}]},
        "correlation_id": "example",
        "payload": EXAMPLES[event_type],
    }


def documents() -> dict[str, str]:
    """Relative path under schemas/ -> its content, exactly as committed."""
    docs: dict[str, Any] = {"openapi.json": openapi_document(), "asyncapi.json": asyncapi_document()}
    for event_type in EVENT_MODELS:
        docs[f"events/{event_type}.json"] = event_schema(event_type)
        docs[f"examples/{event_type}.json"] = example_event(event_type)
    return {path: json.dumps(doc, indent=2, ensure_ascii=False) + "\n" for path, doc in docs.items()}


def differences(root: Path = ROOT) -> list[str]:
    """Documents missing, stale, or no longer generated."""
    wanted = documents()
    stale = [p for p, text in wanted.items() if not (root / p).is_file() or (root / p).read_text() != text]
    extra = [str(f.relative_to(root)) for f in root.rglob("*.json") if str(f.relative_to(root)) not in wanted]
    return sorted(stale + extra)


def write(root: Path = ROOT) -> None:
    for old in root.rglob("*.json"):
        old.unlink()
    for name, text in documents().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def main(argv: list[str]) -> int:
    if argv == ["write"]:
        write()
        return 0
    if argv == ["check"]:
        stale = differences()
        sys.stderr.write("".join(f"out of date: schemas/{p}\n" for p in stale))
        return 1 if stale else 0
    sys.stderr.write("usage: python -m services.intake.contracts write|check\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
