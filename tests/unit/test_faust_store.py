"""Table state on disk (shared/faust_store.py): a key written on one partition is found while an event of
another partition is handled, as it was in the memory store; faust's own RocksDB store would not find it."""

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faust
import pytest
from faust.streams import _current_event
from faust.types import TP

from shared.faust_store import SCHEME, TUNING, LocalStore


class FakeEvent:
    def __init__(self, partition: int) -> None:
        fields = {"offset": 0, "timestamp": 0.0, "timestamp_type": 0, "headers": [], "key": None, "value": None}
        self.message = faust.types.Message(topic="t", partition=partition, checksum=None, **fields)


@contextmanager
def handling_event_of(partition: int) -> Iterator[None]:
    event = FakeEvent(partition)
    token = _current_event.set(weakref.ref(event))  # type: ignore[arg-type]
    try:
        yield
    finally:
        _current_event.reset(token)


def table_in(tmp_path: Path, store: str) -> Any:
    app = faust.App(f"store-test-{tmp_path.name}", store=store, datadir=tmp_path, autodiscover=False)
    app.conf.tabledir.mkdir(parents=True, exist_ok=True)
    return app.Table("cases", partitions=4, key_type=str)


def test_a_key_written_on_one_partition_is_read_while_handling_another(tmp_path: Path) -> None:
    table = table_in(tmp_path, f"{SCHEME}://")
    store = table.data
    assert isinstance(store, LocalStore)
    with handling_event_of(3):
        store._set(b"CASE-1", b'{"paused": true}')
    with handling_event_of(0):  # e.g. a digest batch keyed by its recipient, asking for a case's pause
        assert store._get(b"CASE-1") == b'{"paused": true}'
        assert store._contains(b"CASE-1")
        assert store._get(b"CASE-2") is None
        assert not store._contains(b"CASE-2")
    assert store._dbs[3].get(b"CASE-1") is not None  # the write stayed on its event's partition (the changelog's)
    assert list(store._dbs) == [3]  # and reading opened no other


def test_faust_s_own_rocksdb_store_would_miss_it(tmp_path: Path) -> None:
    """Why LocalStore exists: the stock store looks only in the handled event's partition."""
    store = table_in(tmp_path, "rocksdb://").data
    assert not isinstance(store, LocalStore)
    with handling_event_of(3):
        store._set(b"CASE-1", b"{}")
    with handling_event_of(0):
        assert store._get(b"CASE-1") is None


def test_what_was_written_is_there_after_a_restart_with_its_offset(tmp_path: Path) -> None:
    first = table_in(tmp_path, f"{SCHEME}://").data
    with handling_event_of(1):
        first._set(b"CASE-1", b"{}")
    first.set_persisted_offset(TP("store-test-changelog", 1), 41)
    first._dbs.clear()  # closes the databases, as a stopping worker does

    again = table_in(tmp_path, f"{SCHEME}://").data
    assert again.persisted_offset(TP("store-test-changelog", 1)) == 41  # recovery reads from offset 42 on
    with handling_event_of(2):
        again._db_for_partition(1)  # opened when the partition is assigned
        assert again._get(b"CASE-1") == b"{}"


@pytest.mark.parametrize("option", sorted(TUNING))
def test_each_database_is_sized_for_many_small_tables(tmp_path: Path, option: str) -> None:
    store = table_in(tmp_path, f"{SCHEME}://").data
    assert getattr(store.rocksdb_options, option) == TUNING[option]
    assert store.use_rocksdict
