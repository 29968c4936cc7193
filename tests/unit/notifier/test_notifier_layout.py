"""The notifier's layout holds: folders talk through their faces, and the rules stay free of I/O."""

import ast
from pathlib import Path

import pytest

NOTIFIER = Path(__file__).resolve().parents[3] / "services" / "notifier"
FOLDERS = sorted(p.name for p in NOTIFIER.iterdir() if (p / "__init__.py").exists())
RULES = [
    "compliance.py", "policy.py", "priorities.py", "states.py", "email/formatting.py", "email/guidance.py",
    "holding/rules.py", "acknowledging/tokens.py",
    *[f"schedule/{p.name}" for p in sorted((NOTIFIER / "schedule").glob("*.py"))],
]  # fmt: skip
"""Modules of pure rules (and the schedule kinds, which are handed their tables, topics and sending path)."""
IO = ("faust", "aiokafka", "aiosmtplib", "fastapi", "starlette", "httpx", "socket", "smtplib", "subprocess", "mode")


def module_of(path: Path) -> str:
    return ".".join(path.relative_to(NOTIFIER.parents[1]).with_suffix("").parts).removesuffix(".__init__")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names if node.module == "services.notifier"}
    return found


MODULES = {module_of(p): p for p in NOTIFIER.rglob("*.py")}


def closure(module: str) -> set[str]:
    """Everything `module` imports, following the notifier's own modules (a face pulls in its folder)."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        for name in imports(MODULES[current]):
            if name not in seen:
                seen.add(name)
                if name in MODULES:
                    todo.append(name)
    return seen


def test_the_folders_are_the_ones_the_module_map_names() -> None:
    assert FOLDERS == ["acknowledging", "email", "holding", "schedule", "sending"]
    doc = ast.get_docstring(ast.parse((NOTIFIER / "__init__.py").read_text())) or ""
    assert all(f"{folder}/" in doc for folder in FOLDERS)


@pytest.mark.parametrize("path", sorted(NOTIFIER.rglob("*.py")), ids=lambda p: str(p.relative_to(NOTIFIER)))
def test_no_module_imports_another_folder_s_internals(path: Path) -> None:
    own = path.relative_to(NOTIFIER).parts[0] if len(path.relative_to(NOTIFIER).parts) > 1 else None
    for name in imports(path):
        parts = name.split(".")
        if parts[:2] == ["services", "notifier"] and len(parts) > 3 and parts[2] in FOLDERS and parts[2] != own:
            pytest.fail(f"{path.name} imports {name}: import from services.notifier.{parts[2]} instead")


@pytest.mark.parametrize("rules", RULES)
def test_rules_and_schedule_kinds_reach_no_io(rules: str) -> None:
    reached = closure(module_of(NOTIFIER / rules))
    assert not {name for name in reached if name.split(".")[0] in IO}, rules
