"""Case keys in memory for tests without a broker, and events sealed as intake publishes them."""

import json
import os
from typing import Any

import tink
from tink import aead

from services.intake.adapters import Sealer
from shared.case_crypto import KEK_TEMPLATE, CaseDigests, CaseKeys, DataKeys
from shared.case_keys import MemoryKeyTopic
from shared.digests import KEY_BYTES, DigestKey
from shared.events import parse_event


def memory_keys(producers_key: DigestKey | None = None) -> CaseKeys:
    """Both key topics in memory, a fresh KEK: what intake and the notifier hold (the router uses the digests)."""
    kek = tink.new_keyset_handle(KEK_TEMPLATE).primitive(aead.Aead)
    data_topic = MemoryKeyTopic("drr.case-keys")
    digests = CaseDigests(MemoryKeyTopic("drr.case-digest-keys"), producers_key or DigestKey(os.urandom(KEY_BYTES)))
    return CaseKeys(digests, DataKeys(data_topic, kek), data_topic)


async def sealed(events: list[dict[str, Any]], keys: CaseKeys) -> list[bytes]:
    """Each event as intake puts it on drr.events: its case's keys made, its sensitive fields sealed."""
    sealer = Sealer(keys)
    return [(await sealer.sealed(parse_event(e)))[0].model_dump_json().encode() for e in events]


def clear(events: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(e).encode() for e in events]
