"""Sealed fields are opened for the one email they go into, and stay sealed everywhere the notifier writes;
after the case's erasure nothing of it goes out."""

from typing import Any
from uuid import uuid4

from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from services.notifier.sending.ledger import EmailLedger
from shared import topics
from shared.case_crypto import CaseKeys
from shared.deliveries import Delivery, Recipient, delivery_id_for
from shared.examples import CLINICAL_EXAMPLE, EXAMPLES
from shared.roles import Agency, Role
from shared.sealing import is_sealed, seal_payload
from tests.case_keys_kit import memory_keys
from tests.faust_agents import fed
from tests.unit.notifier.fakes import FakeClock, FakeMailer, FakeTable
from tests.unit.notifier.test_notifier_agent import a_delivery


async def sealed_trigger(keys: CaseKeys) -> Delivery:
    """A high trigger for the mental-health member, sealed as intake seals it and the router copies it."""
    assert keys.data is not None
    event_id = uuid4()
    cipher, digests = await keys.data.ensure("C-7"), await keys.digests.ensure("C-7")
    payload = seal_payload("trigger.reported", str(event_id), EXAMPLES["trigger.reported"], cipher, digests)
    recipient = Recipient(practitioner_id="p-2", name="Lena", email="lena@mh.example", agency=Agency.MENTAL_HEALTH,
                          role=Role.MENTAL_HEALTH)  # fmt: skip
    return a_delivery("trigger.reported").model_copy(
        update={
            "event_id": event_id,
            "delivery_id": delivery_id_for(event_id, "p-2"),
            "recipient": recipient,
            "payload": payload,
        }  # fmt: skip
    )


async def run(keys: CaseKeys, mailer: FakeMailer, delivery: Delivery) -> None:
    settings = NotifierSettings(max_attempts=2, retry_base_s=0)
    app = build(settings, mailer, FakeClock(), EmailLedger(FakeTable(), FakeClock()), keys)
    async with fed(app, "services.notifier.app.notify") as put:
        await put(delivery.model_dump_json().encode(), key=b"C-7")


async def test_the_email_holds_the_opened_field_and_nothing_written_holds_it(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    keys, mailer = memory_keys(), FakeMailer()
    delivery = await sealed_trigger(keys)
    assert is_sealed(delivery.payload["clinical_notes"])
    await run(keys, mailer, delivery)
    [email] = mailer.sent
    assert CLINICAL_EXAMPLE in email["body"] and CLINICAL_EXAMPLE in (email["html"] or "")
    assert sent and all(CLINICAL_EXAMPLE.encode() not in kwargs["value"] for _, kwargs in sent)


async def test_after_the_case_is_erased_its_delivery_is_dead_lettered_sealed_and_nothing_is_sent(
    sent: list[tuple[str, dict[str, Any]]],
) -> None:
    keys, mailer = memory_keys(), FakeMailer()
    delivery = await sealed_trigger(keys)
    await keys.erase("C-7")
    await run(keys, mailer, delivery)
    assert mailer.sent == []
    [dead] = [kwargs for topic, kwargs in sent if topic == topics.DEAD_LETTERS]
    assert Delivery.model_validate_json(dead["value"]) == delivery  # still sealed: noise without the key
