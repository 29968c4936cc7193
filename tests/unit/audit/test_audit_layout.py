"""The audit service's shape, read from its source: its own records are built in one module, the
database's DDL is written in one module, and no class chain is deeper than two (issue 13)."""

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from services.audit.schema import POSTGRES, SQLITE, TABLES

ROOT = Path(__file__).resolve().parents[3]
AUDIT = ROOT / "services" / "audit"
DDL = re.compile(r"\b(CREATE|ALTER|DROP|GRANT|REVOKE)\s+(TABLE|INDEX|TRIGGER|ROLE|FUNCTION|OR REPLACE|ALL|SELECT)\b"
                 r"|\bPRIMARY KEY\b")  # fmt: skip


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(AUDIT.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def builds_audit_records(tree: ast.Module) -> bool:
    """Whether the module calls AuditRecord(...) itself (parsing one, model_validate_json, is no build)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "AuditRecord":
                return True
    return False


def ddl_strings(tree: ast.Module) -> list[str]:
    """String constants (f-strings' literal parts too) that define or grant on the database's objects."""
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and DDL.search(node.value)
    ]


def depths(trees: list[ast.Module]) -> dict[str, int]:
    """Each class's depth of inheritance among the classes defined alongside it (1: no such base)."""
    bases = {
        node.name: [base.id for base in node.bases if isinstance(base, ast.Name)]
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    }

    def depth(name: str) -> int:
        return 1 + max((depth(base) for base in bases[name] if base in bases and base != name), default=0)

    return {name: depth(name) for name in bases}


def test_the_audit_services_own_records_are_built_in_records_py_alone() -> None:
    assert [name for name, tree in modules() if builds_audit_records(tree)] == ["services/audit/records.py"]


def test_the_ddl_is_written_in_schema_py_alone() -> None:
    found = {name: ddl_strings(tree) for name, tree in modules()}
    assert [name for name, strings in found.items() if strings] == ["services/audit/schema.py"]
    for dialect in (SQLITE, POSTGRES):  # and what it writes makes every table, in both databases
        created = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) ", "\n".join(dialect.statements()))
        assert created == [*TABLES, "awaited"]


def test_no_class_chain_is_deeper_than_two() -> None:
    found = depths([tree for _, tree in modules()])
    assert found["SqliteLedger"] == found["PostgresLedger"] == 2
    assert max(found.values()) <= 2, {name: depth for name, depth in found.items() if depth > 2}


def test_the_checks_see_a_record_built_by_hand_ddl_elsewhere_and_a_deep_chain() -> None:
    """The checks above would fail on the shapes they refuse (so their passing means something)."""
    by_hand = ast.parse("from shared import audit_records\nr = audit_records.AuditRecord(kind=k)\n")
    parsed = ast.parse("r = AuditRecord.model_validate_json(text)\n")
    assert builds_audit_records(by_hand) and not builds_audit_records(parsed)
    ddl = ast.parse('db.execute(f"ALTER TABLE {table} ADD COLUMN x TEXT")\nq = "SELECT 1 FROM leaves"\n')
    assert ddl_strings(ddl) == ["ALTER TABLE "]
    chain = ast.parse("class A: ...\nclass B(A): ...\nclass C(B): ...\nclass D(Protocol): ...\n")
    assert depths([chain]) == {"A": 1, "B": 2, "C": 3, "D": 1}
