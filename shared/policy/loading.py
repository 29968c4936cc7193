"""Read a policy file: parse the YAML, validate it, and say which line is at fault when it is wrong.

A service calls `load_policy(path)` once at start-up; a bad file raises PolicyError and the service
refuses to start rather than route with rules nobody checked.
"""

import hashlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared.policy.compiled import Policy, compile_policy
from shared.policy.rules import PolicySpec

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "policy" / "default.yaml"


class PolicyError(ValueError):
    """The policy file cannot be used; the message names each fault with its line."""


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    return parse_policy(path.read_text(encoding="utf-8"), str(path))


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{name}: not valid YAML: {exc}") from exc
    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(_explain(exc, node, name)) from None
    return compile_policy(spec, content_hash(spec))


def content_hash(spec: PolicySpec) -> str:
    """SHA-256 of the validated policy (not of the file), so comments and layout do not change it."""
    canonical = spec.model_dump_json(exclude={"definitions"}).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def _explain(exc: ValidationError, root: yaml.Node | None, name: str) -> str:
    lines = []
    for error in exc.errors(include_url=False):
        loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("list[", "literal[")))]
        line = _line_of(root, loc)
        rule = _rule_id(root, loc)
        where = f"{name}:{line}" + (f" (rule {rule})" if rule else "")
        got = f" (got {error['input']!r})" if isinstance(error.get("input"), str | int) else ""
        lines.append(f"{where}: {'.'.join(map(str, loc)) or 'file'}: {error['msg']}{got}")
    return "invalid policy:\n  " + "\n  ".join(lines)


def _walk(node: yaml.Node | None, loc: list[Any]) -> list[yaml.Node]:
    """The nodes along a pydantic error location, as deep as the YAML goes."""
    path = [node] if node is not None else []
    for part in loc:
        current = path[-1] if path else None
        child = None
        if isinstance(current, yaml.MappingNode):
            child = next((v for k, v in current.value if k.value == part), None)
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int) and part < len(current.value):
            child = current.value[part]
        if child is None:
            break
        path.append(child)
    return path


def _line_of(root: yaml.Node | None, loc: list[Any]) -> int:
    path = _walk(root, loc)
    return path[-1].start_mark.line + 1 if path else 1


def _rule_id(root: yaml.Node | None, loc: list[Any]) -> str | None:
    if len(loc) < 2 or loc[0] != "rules":
        return None
    path = _walk(root, loc[:2])
    if len(path) < 3 or not isinstance(path[2], yaml.MappingNode):
        return None
    return next((str(v.value) for k, v in path[2].value if k.value == "id"), None)
