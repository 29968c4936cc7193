"""Which cases an oversight token scoped to some agencies may see, as SQL over the leaves' own columns.

The rule: a case is an agency's case when the ledger holds an accepted event about it that the agency
published (an `event.received` leaf with that `source_agency`, written by intake from the key that sent
it), or a sharing decision naming a practitioner of the agency as recipient (a `sharing.decided` leaf with
that `recipient_agency`, written by the router), whatever the decision was. Only those two kinds count:
a rejected event names a case nobody vouched for, and every later leaf of a case (emails, holds,
acknowledgements) follows from one of them. A leaf with no case belongs to no agency's cases.
"""

from collections.abc import Sequence

RULE = (
    "case_id IN (SELECT case_id FROM leaves WHERE case_id IS NOT NULL AND ("
    "(kind = 'event.received' AND source_agency IN ({marks})) OR "
    "(kind = 'sharing.decided' AND recipient_agency IN ({marks}))))"
)


def in_scope(agencies: Sequence[str]) -> tuple[str, dict[str, str]]:
    """An SQL condition (named parameters) true for the leaves of the cases of `agencies` (at least one)."""
    if not agencies:
        raise ValueError("a scope names at least one agency (no scope at all means every case)")
    params = {f"scope{number}": agency for number, agency in enumerate(sorted(agencies))}
    return RULE.format(marks=", ".join(f":{name}" for name in params)), params
