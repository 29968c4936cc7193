"""The router's typed copies of its table entries (services/router/tables.py): reused while the table holds
an equal value (RocksDB decodes a new object each time), made again when the value changed, and bounded,
least recently used first out, so memory does not grow with the number of cases."""

import copy
from typing import Any

import pytest

from services.router import tables as tables_module
from services.router.tables import CaseTables
from shared.team import CaseTeam

MANAGER = {"id": "p-cm-1", "name": "Sam Okafor", "email": "sam.okafor@probation.example.org", "agency": "probation"}


class DecodingTable(dict[str, Any]):
    """Hands back a fresh copy on every read, as a table on disk does."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def get(self, key: str, default: Any = None) -> Any:
        return copy.deepcopy(super().get(key, default))


class FakeApp:
    def Table(self, name: str, **_: Any) -> DecodingTable:  # noqa: N802  # faust's name
        return DecodingTable(name)


def team_with(manager: dict[str, str]) -> dict[str, Any]:
    return CaseTeam.model_validate({"case_manager": manager}).model_dump(mode="json")


def test_an_equal_entry_decoded_again_reuses_its_typed_copy() -> None:
    tables = CaseTables(FakeApp())  # type: ignore[arg-type]
    tables.teams["C-1"] = team_with(MANAGER)
    first = tables._typed_entry(tables.teams, "C-1", CaseTeam)
    assert tables._typed_entry(tables.teams, "C-1", CaseTeam) is first


def test_a_changed_entry_gets_a_new_typed_copy() -> None:
    tables = CaseTables(FakeApp())  # type: ignore[arg-type]
    tables.teams["C-1"] = team_with(MANAGER)
    first = tables._typed_entry(tables.teams, "C-1", CaseTeam)
    tables.teams["C-1"] = team_with({**MANAGER, "name": "Jo Lindqvist"})  # written by another worker, say
    again = tables._typed_entry(tables.teams, "C-1", CaseTeam)
    assert again is not first
    assert again.case_manager is not None and again.case_manager.name == "Jo Lindqvist"


def test_copies_are_bounded_least_recently_used_first_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables_module, "MAX_TYPED", 2)
    tables = CaseTables(FakeApp())  # type: ignore[arg-type]
    for case in ("C-1", "C-2", "C-3"):
        tables.teams[case] = team_with(MANAGER)
    one = tables._typed_entry(tables.teams, "C-1", CaseTeam)
    tables._typed_entry(tables.teams, "C-2", CaseTeam)
    assert tables._typed_entry(tables.teams, "C-1", CaseTeam) is one  # used again: now the most recent
    tables._typed_entry(tables.teams, "C-3", CaseTeam)  # C-2 goes
    assert len(tables._typed) == 2
    assert set(tables._typed) == {(tables.teams.name, "C-1"), (tables.teams.name, "C-3")}
