"""Field sealing and the case keys: AEAD bound to the case, the event and the field; KEK rotation that
re-wraps without touching sealed data; erasure of one case; two intake instances racing for a case's key."""

import os
import stat
from pathlib import Path

import pytest
import tink

from shared.case_crypto import (
    CaseDigests,
    CaseKeys,
    DataKeys,
    load_kek,
    retire_old_keys,
    rotate_kek_file,
    write_kek_file,
)
from shared.case_keys import KeyBook, KeyRecord, MemoryKeyTopic
from shared.digests import KEY_BYTES, DigestKey
from shared.examples import CLINICAL_EXAMPLE, EXAMPLES
from shared.sealing import CannotOpen, field_digests, is_sealed, open_payload, seal_payload

TRIGGER = EXAMPLES["trigger.reported"]
PRODUCERS_KEY = DigestKey(os.urandom(KEY_BYTES))


def keys_with(kek_file: Path) -> CaseKeys:
    data_topic = MemoryKeyTopic("drr.case-keys")
    return CaseKeys(
        CaseDigests(MemoryKeyTopic(), PRODUCERS_KEY), DataKeys(data_topic, load_kek(str(kek_file))), data_topic
    )


@pytest.fixture
def kek(tmp_path: Path) -> Path:
    write_kek_file(tmp_path / "kek.json")
    return tmp_path / "kek.json"


async def sealed_trigger(keys: CaseKeys, case_id: str, event_id: str = "e-1") -> dict[str, object]:
    assert keys.data is not None
    cipher, digests = await keys.data.ensure(case_id), await keys.digests.ensure(case_id)
    return seal_payload("trigger.reported", event_id, TRIGGER, cipher, digests)


def test_the_kek_file_is_its_owner_s_alone(kek: Path) -> None:
    assert stat.S_IMODE(kek.stat().st_mode) == 0o600


async def test_a_sealed_field_opens_under_its_case_event_and_field_only(kek: Path) -> None:
    keys = keys_with(kek)
    assert keys.data is not None
    sealed = await sealed_trigger(keys, "C-1")
    assert is_sealed(sealed["clinical_notes"]) and CLINICAL_EXAMPLE not in str(sealed)
    assert sealed["trigger_type"] == "bereavement"  # operational: readable for routing
    mine = await keys.data.cipher("C-1")
    assert mine is not None
    assert open_payload("trigger.reported", "e-1", sealed, mine) == TRIGGER
    other_case = await keys.data.ensure("C-2")
    with pytest.raises(CannotOpen):
        open_payload("trigger.reported", "e-1", sealed, other_case)  # moved to another case
    with pytest.raises(CannotOpen):
        open_payload("trigger.reported", "e-2", sealed, mine)  # or another event
    with pytest.raises(CannotOpen):
        mine.open("e-1", "description", sealed["clinical_notes"])  # or another field  # type: ignore[arg-type]


async def test_each_digest_is_under_the_case_s_own_key_and_travels_with_the_sealed_value(kek: Path) -> None:
    keys = keys_with(kek)
    one, two = await sealed_trigger(keys, "C-1"), await sealed_trigger(keys, "C-2")
    digests_one = field_digests(one, await keys.digests.ensure("C-1"))
    assert digests_one["clinical_notes"] == one["clinical_notes"]["digest"]  # type: ignore[index]
    assert digests_one["clinical_notes"] != field_digests(two, await keys.digests.ensure("C-2"))["clinical_notes"]
    assert digests_one["trigger_type"] != PRODUCERS_KEY.digest("bereavement")  # not the producers' key itself


async def test_a_new_kek_rewraps_every_data_key_and_the_sealed_data_still_opens(kek: Path) -> None:
    keys = keys_with(kek)
    assert keys.data is not None
    sealed = await sealed_trigger(keys, "C-1")
    before = dict(keys.data.topic.book.records)
    rotate_kek_file(kek)
    assert await keys.data.rewrap(load_kek(str(kek))) == 1
    assert retire_old_keys(kek) == 1
    rewrapped = keys.data.topic.book.records["C-1"]
    assert rewrapped.key_id == before["C-1"].key_id and rewrapped.material != before["C-1"].material
    with pytest.raises(tink.TinkError):  # the old wrapping needs the retired KEK key
        DataKeys(MemoryKeyTopic(), load_kek(str(kek)))._cipher(before["C-1"])
    fresh = DataKeys(keys.data.topic, load_kek(str(kek)))  # a restarted service with the new KEK alone
    cipher = await fresh.cipher("C-1")
    assert cipher is not None and open_payload("trigger.reported", "e-1", sealed, cipher) == TRIGGER


async def test_erasing_one_case_leaves_the_others_readable(kek: Path) -> None:
    keys = keys_with(kek)
    assert keys.data is not None
    gone, kept = await sealed_trigger(keys, "C-GONE"), await sealed_trigger(keys, "C-KEPT")
    await keys.erase("C-GONE")
    assert await keys.data.cipher("C-GONE") is None and await keys.digests.key("C-GONE") is None
    assert isinstance(keys.data.topic, MemoryKeyTopic) and ("C-GONE", None) in keys.data.topic.log  # the tombstone
    restarted = DataKeys(keys.data.topic, load_kek(str(kek)))
    assert await restarted.cipher("C-GONE") is None
    cipher = await restarted.cipher("C-KEPT")
    assert cipher is not None and open_payload("trigger.reported", "e-1", kept, cipher) == TRIGGER
    assert is_sealed(gone["clinical_notes"])


def test_two_racing_instances_agree_on_the_first_key_and_the_loser_is_repaired() -> None:
    book, first, second = KeyBook(), KeyRecord("C-1", "aead:1", b"one"), KeyRecord("C-1", "aead:2", b"two")
    assert book.fold("C-1", first.encoded()) is None
    assert book.fold("C-1", second.encoded()) == first  # to publish again: compaction keeps the last
    assert book.records["C-1"] == first
    rewrap = KeyRecord("C-1", "aead:1", b"one, wrapped anew")
    assert book.fold("C-1", rewrap.encoded()) is None and book.records["C-1"].material == b"one, wrapped anew"
    assert book.fold("C-1", None) is None and "C-1" not in book.records
    assert book.fold("C-1", second.encoded()) is None and book.records["C-1"] == second  # after erasure: a new key


async def test_a_memory_topic_republishes_the_winner_after_a_loser() -> None:
    topic = MemoryKeyTopic()
    first, second = KeyRecord("C-1", "aead:1", b"one"), KeyRecord("C-1", "aead:2", b"two")
    await topic.publish(first)
    await topic.publish(second)
    assert [KeyRecord.decoded(raw).key_id for _, raw in topic.log if raw] == ["aead:1", "aead:2", "aead:1"]
