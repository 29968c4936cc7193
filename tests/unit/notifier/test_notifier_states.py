"""The delivery state machine: legal walks pass, illegal ones raise, final states lead nowhere."""

import pytest

from services.notifier.states import FINAL, TRANSITIONS, DeliveryState, IllegalTransition, advance

S = DeliveryState


@pytest.mark.parametrize(
    "walk",
    [
        [S.CREATED, S.SENDING, S.DELIVERED],
        [S.CREATED, S.SENDING, S.TEMPORARY_FAILURE, S.SENDING, S.DELIVERED],
        [S.CREATED, S.SENDING, S.TEMPORARY_FAILURE, S.DEAD_LETTERED],
        [S.CREATED, S.SENDING, S.PERMANENT_FAILURE, S.DEAD_LETTERED],
        [S.CREATED, S.TECHNICAL_FAILURE, S.DEAD_LETTERED],
        [S.CREATED, S.SENDING, S.DELIVERED_TEST],
    ],
)
def test_legal_walks(walk: list[DeliveryState]) -> None:
    state = walk[0]
    for step in walk[1:]:
        state = advance(state, step)
    assert state == walk[-1]


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (S.CREATED, S.DELIVERED),
        (S.DELIVERED, S.SENDING),
        (S.PERMANENT_FAILURE, S.SENDING),
        (S.DEAD_LETTERED, S.SENDING),
        (S.TEMPORARY_FAILURE, S.DELIVERED),
    ],
)
def test_illegal_transitions_raise(current: DeliveryState, to: DeliveryState) -> None:
    with pytest.raises(IllegalTransition):
        advance(current, to)


def test_every_state_has_its_transitions_and_the_final_ones_are_the_ends() -> None:
    assert set(TRANSITIONS) == set(DeliveryState)
    assert FINAL == {S.DELIVERED, S.DELIVERED_TEST, S.DEAD_LETTERED, S.HELD}
