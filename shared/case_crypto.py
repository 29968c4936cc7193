"""The keys of a case as the services use them: its data key as a CaseCipher (sealing.py), its digest key as
a DigestKey, both kept on their key topics (case_keys.py) and unwrapped here.

The key-encryption key (KEK) wraps every data key. Locally it is a Tink keyset file (JSON, mode 0600, made
by the set-up); in production it stays inside a KMS and is named by a URI (`gcp-kms://projects/…` or
`aws-kms://arn:aws:kms:…`, Tink's KMS clients; their packages are the deployment's to install): the
services then never see it. Rotation adds a new primary key to the KEK (`rotate_kek_file`); `rewrap`
publishes every case's data key wrapped anew under it, the event data untouched; the old KEK key may be
removed once every instance runs with the new file (`retire_old_keys`).
"""

import asyncio
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import tink
from mode.utils.collections import LRUCache
from tink import aead, secret_key_access
from tink.proto import tink_pb2

from shared import topics
from shared.case_keys import KeyRecord, KeyTopic, MemoryKeyTopic
from shared.digests import KEY_BYTES, DigestKey
from shared.sealing import CaseCipher, new_data_key

aead.register()
KEK_TEMPLATE = aead.aead_key_templates.AES256_GCM


def load_kek(uri: str) -> aead.Aead:
    """The KEK as an AEAD: a KMS key by URI, else a local keyset file (a path or `file:` + path)."""
    if uri.startswith("gcp-kms://"):
        from tink.integration import gcpkms  # noqa: PLC0415  (only where the deployment installed it)

        return gcpkms.GcpKmsClient(uri, None).get_aead(uri)
    if uri.startswith("aws-kms://"):
        from tink.integration import awskms  # noqa: PLC0415

        return awskms.new_client(uri).get_aead(uri)
    return _kek_file(Path(uri.removeprefix("file:"))).primitive(aead.Aead)


def _kek_file(path: Path) -> tink.KeysetHandle:
    try:
        text = path.read_text()
    except FileNotFoundError as missing:
        raise FileNotFoundError(f"key-encryption key {path} is missing (make it with the set-up)") from missing
    return tink.json_proto_keyset_format.parse(text, secret_key_access.TOKEN)


def _write_private(path: Path, text: str) -> None:
    """Written whole, readable by its owner only, then moved into place (a reader never sees half a key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    partial.replace(path)


def write_kek_file(path: Path) -> None:
    """A fresh KEK keyset; an existing file is kept."""
    if not path.exists():
        handle = tink.new_keyset_handle(KEK_TEMPLATE)
        _write_private(path, tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def _keyset(path: Path) -> tink_pb2.Keyset:
    serialised = tink.proto_keyset_format.serialize(_kek_file(path), secret_key_access.TOKEN)
    return tink_pb2.Keyset.FromString(serialised)


def _save(path: Path, keyset: tink_pb2.Keyset) -> None:
    handle = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    _write_private(path, tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))


def rotate_kek_file(path: Path) -> int:
    """Add a new key to the KEK keyset and make it primary (the old ones still unwrap); its key id."""
    keyset = _keyset(path)
    fresh = tink_pb2.Keyset.FromString(
        tink.proto_keyset_format.serialize(tink.new_keyset_handle(KEK_TEMPLATE), secret_key_access.TOKEN)
    )
    keyset.key.append(fresh.key[0])
    keyset.primary_key_id = fresh.primary_key_id
    _save(path, keyset)
    return int(fresh.primary_key_id)


def retire_old_keys(path: Path) -> int:
    """Remove every KEK key but the primary (after `rewrap`); how many were removed."""
    keyset = _keyset(path)
    kept = [k for k in keyset.key if k.key_id == keyset.primary_key_id]
    removed = len(keyset.key) - len(kept)
    del keyset.key[:]
    keyset.key.extend(kept)
    _save(path, keyset)
    return removed


AnyKeyTopic = KeyTopic | MemoryKeyTopic
UNWRAPPED_KEPT = 4096
"""Unwrapped data keys and derived digest keys kept, least recently used out first: the wrapped records of
every case are held anyway (the key book), so this bounds only what a burst of cases reuses."""


class DataKeys:
    """Each case's data key from drr.case-keys, unwrapped with the KEK (intake and the notifier only)."""

    def __init__(self, topic: AnyKeyTopic, kek: aead.Aead) -> None:
        self.topic, self._kek = topic, kek
        self._ciphers: LRUCache[str, tuple[KeyRecord, CaseCipher]] = LRUCache(limit=UNWRAPPED_KEPT)

    def _cipher(self, record: KeyRecord) -> CaseCipher:
        cached = self._ciphers.get(record.case_id)
        if cached is None or cached[0] is not record:
            handle = tink.proto_keyset_format.parse_encrypted(record.material, self._kek, record.case_id.encode())
            cached = (record, CaseCipher(record.case_id, [handle]))
            self._ciphers[record.case_id] = cached
        return cached[1]

    def forget(self, case_id: str) -> None:
        self._ciphers.pop(case_id, None)

    async def cipher(self, case_id: str) -> CaseCipher | None:
        """The case's key, or None: never made, or erased."""
        record = await self.topic.record(case_id)
        if record is None:
            self.forget(case_id)
            return None
        return self._cipher(record)

    async def ensure(self, case_id: str) -> CaseCipher:
        return self._cipher(await self.topic.ensure(case_id, lambda: self.new_record(case_id)))

    def new_record(self, case_id: str) -> KeyRecord:
        handle = new_data_key()
        wrapped = tink.proto_keyset_format.serialize_encrypted(handle, self._kek, case_id.encode())
        return KeyRecord(case_id, f"aead:{handle.keyset_info().primary_key_id}", wrapped)

    async def rewrap(self, new_kek: aead.Aead) -> int:
        """Every data key in force, wrapped anew under `new_kek` (same key id: readers take it as a re-wrap);
        how many. The sealed data is not touched."""
        await self.topic.caught_up()
        records = list(self.topic.book.records.values())
        for record in records:
            handle = tink.proto_keyset_format.parse_encrypted(record.material, self._kek, record.case_id.encode())
            wrapped = tink.proto_keyset_format.serialize_encrypted(handle, new_kek, record.case_id.encode())
            await self.topic.publish(KeyRecord(record.case_id, record.key_id, wrapped, record.created_at))
        return len(records)


class CaseDigests:
    """Each case's digest key: HMAC of the case's salt (drr.case-digest-keys) under the producers' digest
    key, so the topic alone gives nothing, and without the salt (erased) no digest of the case can be
    confirmed against a guess."""

    def __init__(self, topic: AnyKeyTopic, producers_key: DigestKey) -> None:
        self.topic, self._key = topic, producers_key
        self._derived: LRUCache[str, tuple[KeyRecord, DigestKey]] = LRUCache(limit=UNWRAPPED_KEPT)

    def _digest_key(self, record: KeyRecord) -> DigestKey:
        cached = self._derived.get(record.case_id)
        if cached is None or cached[0] is not record:
            cached = (record, self._key.derived(record.material, record.case_id))
            self._derived[record.case_id] = cached
        return cached[1]

    async def key(self, case_id: str) -> DigestKey | None:
        record = await self.topic.record(case_id)
        if record is None:
            self._derived.pop(case_id, None)
            return None
        return self._digest_key(record)

    async def ensure(self, case_id: str) -> DigestKey:
        return self._digest_key(await self.topic.ensure(case_id, lambda: new_salt_record(case_id)))


def new_salt_record(case_id: str) -> KeyRecord:
    salt = os.urandom(KEY_BYTES)
    return KeyRecord(case_id, "salt:" + hashlib.sha256(salt).hexdigest()[:16], salt)


@dataclass
class CaseKeys:
    """Both key topics as one service holds them: digest keys always; data keys where data is sealed or
    opened (intake, notifier), else (the router) only the right to erase them."""

    digests: CaseDigests
    data: DataKeys | None
    data_topic: AnyKeyTopic
    _starting: asyncio.Lock = field(default_factory=asyncio.Lock)
    _started: bool = False

    async def start(self) -> None:
        await self.digests.topic.start()
        await self.data_topic.start()

    async def started(self) -> None:
        """Started once, by whichever first needs a key (a Faust agent, which may run before any app task)."""
        async with self._starting:
            if not self._started:
                await self.start()
                self._started = True

    async def stop(self) -> None:
        await self.digests.topic.stop()
        await self.data_topic.stop()

    async def erase(self, case_id: str) -> None:
        """Crypto-shredding: the tombstones of both of the case's keys (the data key first)."""
        await self.data_topic.erase(case_id)
        await self.digests.topic.erase(case_id)
        if self.data is not None:
            self.data.forget(case_id)


def case_keys(
    options: dict[str, object] | None, producers_key: DigestKey, kek_uri: str | None, *, writes: bool
) -> CaseKeys:
    """`options`: the service's Kafka client options, None for topics in memory (no broker). `kek_uri`:
    None for a service that holds no data key (it may still erase one when `writes`)."""

    def topic(name: str, reads: bool) -> AnyKeyTopic:
        return MemoryKeyTopic(name) if options is None else KeyTopic(name, options, reads=reads, writes=writes)

    data_topic = topic(topics.CASE_KEYS, reads=kek_uri is not None)
    data = DataKeys(data_topic, load_kek(kek_uri)) if kek_uri is not None else None
    return CaseKeys(CaseDigests(topic(topics.CASE_DIGEST_KEYS, reads=True), producers_key), data, data_topic)


async def rewrap_all(options: dict[str, object], producers_key: DigestKey, kek_uri: str, new_kek_uri: str) -> int:
    """Every case's data key on the broker, unwrapped with `kek_uri` and published wrapped under
    `new_kek_uri` (`intake kek rewrap`); how many. The sealed data on every other topic is untouched."""
    keys = case_keys(options, producers_key, kek_uri, writes=True)
    assert keys.data is not None
    await keys.start()
    try:
        return await keys.data.rewrap(load_kek(new_kek_uri))
    finally:
        await keys.stop()
