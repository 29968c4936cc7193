"""Intake's module map holds: it names every module, the path of one event it lists is the set of modules
that path's code imports (at most seven), the rules and the data stay free of I/O, and one module builds
every audit record intake writes."""

import ast
import re
from pathlib import Path

import pytest

INTAKE = Path(__file__).resolve().parents[3] / "services" / "intake"
MODULES = sorted(p.name for p in INTAKE.glob("*.py") if p.name != "__init__.py")
MAP = ast.get_docstring(ast.parse((INTAKE / "__init__.py").read_text())) or ""
SETTINGS = "bootstrap.py"
"""Read by every step, and a step of none."""
WIRED_AT_START = {"openapi.py", "pruning.py", "refusal_tally.py"}
"""What app.py builds beside the path: the OpenAPI document, the claims' pruning, the count of refusals made
before a key is known (a refused request's own branch, not the path of an accepted event)."""
PURE = ("access.py", "messages.py", "authority.py")
IO = ("fastapi", "starlette", "aiokafka", "sqlite3", "httpx", "socket", "uvicorn")


def path_in_map() -> list[str]:
    """The modules the map's path names, in order of first mention."""
    paragraph = MAP[MAP.index("One critical `trigger.reported`:") :].split("\n\n")[0]
    return list(dict.fromkeys(re.findall(r"\b(\w+\.py)\b", paragraph.split("The path stays")[0])))


def imports(name: str) -> set[str]:
    """Every module `name` imports: intake's by file name (services.intake.x -> x.py), the rest by top package."""
    found: set[str] = set()
    for node in ast.walk(ast.parse((INTAKE / name).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            package = node.module == "services.intake"  # from services.intake import openapi
            names = [f"{node.module}.{a.name}" for a in node.names] if package else [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for module in names:
            parts = module.split(".")
            found.add(f"{parts[2]}.py" if parts[:2] == ["services", "intake"] else parts[0])
    return found


def intake_imports(name: str) -> set[str]:
    return {m for m in imports(name) if m in MODULES}


def test_the_map_names_every_module() -> None:
    listed = MAP.split("One critical")[0]
    assert [m for m in MODULES if not re.search(rf"(?<![\w.]){re.escape(m)}", listed)] == []


def test_the_path_in_the_map_is_at_most_seven_modules_starting_at_the_door() -> None:
    path = path_in_map()
    assert path[0] == "app.py"
    assert len(path) <= 7, path
    assert set(path) <= set(MODULES)


def test_the_path_s_modules_import_only_one_another_and_the_settings() -> None:
    """Past the door, the path closes on itself: a new module on the way would fail here until the map names it."""
    path = set(path_in_map())
    for module in sorted(path - {"app.py"}):
        assert intake_imports(module) <= path | {SETTINGS}, module


def test_the_door_reaches_the_whole_path_and_wires_only_what_is_beside_it() -> None:
    path = set(path_in_map())
    wired = intake_imports("app.py")
    reached, todo = set(wired), list(wired & path)
    while todo:
        for module in intake_imports(todo.pop()) - reached:
            reached.add(module)
            todo.append(module)
    assert path - {"app.py"} <= reached
    assert wired - path - {SETTINGS} == WIRED_AT_START


@pytest.mark.parametrize("module", PURE)
def test_the_rules_and_the_data_reach_no_io(module: str) -> None:
    reached, todo = set(), [module]
    while todo:
        for name in imports(todo.pop()) - reached:
            reached.add(name)
            if name in MODULES:
                todo.append(name)
    assert not reached & set(IO), (module, reached & set(IO))


def builds_audit_records(name: str) -> bool:
    """Whether the module calls AuditRecord (or one of its constructors, such as AuditRecord.model_validate)."""
    for node in ast.walk(ast.parse((INTAKE / name).read_text())):
        if isinstance(node, ast.Call):
            called = node.func.value if isinstance(node.func, ast.Attribute) else node.func
            if (isinstance(called, ast.Name) and called.id == "AuditRecord") or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "AuditRecord"
            ):
                return True
    return False


def test_one_module_builds_every_audit_record_intake_writes() -> None:
    assert [m for m in MODULES if builds_audit_records(m)] == ["messages.py"]
