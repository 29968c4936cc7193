"""The rules of what a stream is given and what may be committed (shared/stream_heads.py), as values."""

from shared.stream_heads import Head, Verdict, handled_up_to


def test_a_stream_is_given_its_partition_in_offset_order_from_its_head() -> None:
    head = Head(27)
    assert [head.admit(o) for o in (27, 28, 28, 3)] == [Verdict.GIVE, Verdict.GIVE, Verdict.DROP, Verdict.DROP]
    assert head.next == 29


def test_a_later_message_first_asks_one_seek_back_and_nothing_is_given_until_the_head_comes() -> None:
    head = Head(27)
    assert head.admit(41) is Verdict.REWIND  # 27..40 were skipped
    assert [head.admit(o) for o in (42, 43, 26)] == [Verdict.DROP] * 3  # the rest of the old batch
    assert head.admit(27) is Verdict.GIVE and not head.rewinding
    assert head.admit(29) is Verdict.REWIND  # a second skip asks again


def test_a_rewind_sets_the_next_offset_and_forgets_what_was_pending() -> None:
    head = Head(50, rewinding=True, stale=True)
    head.rewind(44)
    assert (head.next, head.rewinding, head.stale) == (44, False, False)
    assert head.admit(44) is Verdict.GIVE


def test_only_acknowledgements_one_after_the_other_from_the_base_may_be_committed() -> None:
    assert handled_up_to(27, [27, 28, 29, 31]) == 30
    assert handled_up_to(27, [28, 29, 30]) == 27  # the message at the committed offset was never handled
    assert handled_up_to(27, []) == 27
    assert handled_up_to(0, [2, 1, 0]) == 3  # in any order (several under way)
