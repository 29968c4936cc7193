"""The chaos count: lost, unmarked and marked duplicates per owed delivery (deploy/local/chaos/tally.py)."""

from deploy.local.chaos.tally import Tally, tally


def test_one_copy_of_each_owed_delivery_is_clean() -> None:
    assert tally(["a", "b"], {"a": [False], "b": [False]}) == Tally(2, (), 0, 0)


def test_an_owed_delivery_with_no_copy_is_lost() -> None:
    counted = tally(["a", "b", "c"], {"a": [False], "c": []})
    assert counted.lost == ("b", "c") and not counted.ok


def test_a_repeat_is_marked_only_if_a_copy_says_possible_duplicate() -> None:
    assert tally(["a"], {"a": [False, True]}) == Tally(1, (), 0, 1)
    assert tally(["a"], {"a": [False, False]}) == Tally(1, (), 1, 0)
    assert tally(["a"], {"a": [False, True, False]}) == Tally(1, (), 1, 1)


def test_a_marked_single_copy_is_no_duplicate() -> None:
    """The notifier marks a resend after a crash it cannot see past; if the first never landed, one copy."""
    assert tally(["a"], {"a": [True]}) == Tally(1, (), 0, 0)


def test_copies_of_deliveries_not_owed_are_not_counted() -> None:
    assert tally(["a"], {"a": [False], "z": [False, False]}).ok
