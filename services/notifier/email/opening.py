"""Sealed fields opened for the one email they go into, and nowhere else: the delivery on the topic, in
the ledger, the holds and the dead letters stays sealed (shared/sealing.py). A released batch's items are
opened each under its own case's key (a digest spans cases); an item of an erased case is left out."""

from typing import Any

from services.notifier.holding import RELEASED_TYPES
from shared.case_crypto import CaseKeys
from shared.deliveries import Delivery
from shared.sealing import CaseErased, is_sealed, open_payload


class Opener:
    def __init__(self, keys: CaseKeys) -> None:
        if keys.data is None:
            raise ValueError("opening sealed fields needs the data keys")
        self._keys, self._data = keys, keys.data

    async def opened(self, delivery: Delivery) -> Delivery:
        """The delivery with every sealed field in clear (itself when nothing in it is sealed)."""
        payload = delivery.payload
        if delivery.event_type in RELEASED_TYPES:
            items = [opened for item in payload["items"] if (opened := await self._opened_item(item))]
            if not items:
                raise CaseErased(f"every item of batch {delivery.delivery_id} belongs to an erased case")
            return delivery.model_copy(update={"payload": {**payload, "items": items}})
        if not any(is_sealed(value) for value in payload.values()):
            return delivery
        await self._keys.started()  # a delivery may come before the app's task read the key topics
        cipher = await self._data.cipher(delivery.case_id)
        if cipher is None:
            raise CaseErased(f"case key erased or missing for delivery {delivery.delivery_id}")
        opened = open_payload(delivery.event_type, str(delivery.event_id), payload, cipher)
        return delivery.model_copy(update={"payload": opened})

    async def _opened_item(self, item: dict[str, Any]) -> dict[str, Any] | None:
        try:
            opened = await self.opened(Delivery.model_validate(item["delivery"]))
        except CaseErased:
            return None
        return {**item, "delivery": opened.model_dump(mode="json")}
