"""Table state on local disk (RocksDB through rocksdict), so a service's memory stays flat as cases grow
and a restart reads only the changelog written since its last run, not every changelog from the start.

Faust's own RocksDB store keeps one database per partition and, while an event is being handled, looks a
key up only in the database of *that event's* partition. The memory store it replaces is one dict over
every partition this worker holds, and the services read that way in places: a digest batch (keyed by its
recipient) asks for the pause of each case it carries, which was written on the case's partition. So reads
here look in every local partition (one bloom-filter probe each, the last partition a key was seen in
first), as the dict did; writes still go to the event's partition, which is the changelog's.
"""

from typing import Any

from faust.stores import STORES
from faust.stores.rocksdb import Store

SCHEME = "drr-rocksdb"
"""The store URL scheme the services' settings name (FaustSettings.store)."""

TUNING = {
    "write_buffer_size": 4 * 1024**2,
    "max_write_buffer_number": 2,
    "block_cache_size": 8 * 1024**2,
    "target_file_size_base": 16 * 1024**2,
}
"""Per database (one per table and partition: the notifier has 8 tables x the partition count). Faust's
defaults (64 MiB write buffers, a 2 GiB block cache each) are sized for one big table per process."""


class LocalStore(Store):
    def __init__(self, *args: Any, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, options={**TUNING, "driver": "rocksdict", **(options or {})}, **kwargs)

    def _get(self, key: bytes) -> bytes | None:
        found = self._get_bucket_for_key(key)
        return None if found is None else found.value

    def _contains(self, key: bytes) -> bool:
        return self._get(key) is not None


STORES.aliases[SCHEME] = f"{__name__}:LocalStore"
