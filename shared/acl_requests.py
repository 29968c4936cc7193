"""Apply shared/kafka_acls.py to the broker: describe what it holds, create what is missing, delete what
the table no longer grants. aiokafka 0.14 has the CreateAcls/DescribeAcls/DeleteAcls request structs
(v1, the lowest version Kafka 4.0 still serves) but no admin method, so the requests are sent here.

Only the admin principal may (it is the super user); `options` are its client options.
"""

import logging
from collections.abc import Iterable
from typing import Any

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request

from shared.kafka_acls import Grant, Operation, Resource

log = logging.getLogger(__name__)
RESOURCE = {Resource.TOPIC: 2, Resource.GROUP: 3}
OPERATION = {Operation.READ: 3, Operation.WRITE: 4}
ANY, LITERAL, PREFIXED, ALLOW, ALL_HOSTS = 1, 3, 4, 3, "*"
Row = tuple[int, str, int, str, str, int, int]
"""(resource type, name, pattern type, principal, host, operation, permission) as the protocol has it."""


class _Describe(Request[DescribeAclsRequest_v1]):  # type: ignore[misc]  # aiokafka ships no type hints here
    API_KEY = 29

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(ANY, None, ANY, None, None, ANY, ANY)  # every ACL on the broker


class _Create(Request[CreateAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 30

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self._rows)


class _Delete(Request[DeleteAclsRequest_v1]):  # type: ignore[misc]
    API_KEY = 31

    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows

    def build(self, request_struct_class: type[DeleteAclsRequest_v1]) -> DeleteAclsRequest_v1:
        return request_struct_class(self._rows)  # an exact filter matches that one ACL only


def row(grant: Grant) -> Row:
    pattern = PREFIXED if grant.prefixed else LITERAL
    return (RESOURCE[grant.resource], grant.name, pattern, f"User:{grant.principal}", ALL_HOSTS,
            OPERATION[grant.operation], ALLOW)  # fmt: skip


async def apply_acls(options: dict[str, object], wanted: Iterable[Grant]) -> tuple[int, int]:
    """Make the broker hold exactly `wanted`; returns (created, deleted)."""
    client = AIOKafkaClient(**options)
    await client.bootstrap()
    try:
        node = client.get_random_node()
        held = await _held(client, node)
        rows = {row(g) for g in wanted}
        create, delete = sorted(rows - held), sorted(held - rows)
        if create:
            _check(await client.send(node, _Create(create)), "creation_responses")
        if delete:
            _check(await client.send(node, _Delete(delete)), "filter_responses")
        log.info("acls applied", extra={"acls_created": len(create), "acls_deleted": len(delete)})
        return len(create), len(delete)
    finally:
        await client.close()


async def held_acls(options: dict[str, object]) -> set[Row]:
    """Every ACL the broker holds now (for tests and operators)."""
    client = AIOKafkaClient(**options)
    await client.bootstrap()
    try:
        return await _held(client, client.get_random_node())
    finally:
        await client.close()


async def _held(client: AIOKafkaClient, node: int) -> set[Row]:
    return _rows(await client.send(node, _Describe()))


def _rows(response: Any) -> set[Row]:
    if response.error_code:
        raise for_code(response.error_code)(response.error_message)
    return {
        (kind, name, pattern, principal, host, operation, permission)
        for kind, name, pattern, acls in response.resources
        for principal, host, operation, permission in acls
    }


def _check(response: Any, field: str) -> None:
    for result in getattr(response, field):
        if result[0]:
            raise for_code(result[0])(result[1])
