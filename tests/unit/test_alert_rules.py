"""The alert rules in deploy/prometheus/ only name metrics some service exposes, and the completeness
gauges (issue 11) have rules that fire on any overdue item."""

import re
from pathlib import Path

import yaml
from prometheus_client import REGISTRY

import services.audit.metrics
import services.intake.handling
import services.notifier.metrics
import services.router.app  # noqa: F401  (the imports register every service's metrics)

RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "alerts.yml"


def rules() -> dict[str, dict[str, object]]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for group in groups for rule in group["rules"]}


def exposed() -> set[str]:
    """Every series name a family can have (a labelled counter has no samples before its first use)."""
    families = list(REGISTRY.collect())
    counters = {f"{family.name}_total" for family in families if family.type == "counter"}
    return {family.name for family in families} | counters


def test_every_metric_a_rule_names_is_exposed() -> None:
    named = {name for rule in rules().values() for name in re.findall(r"\bdrr_\w+", str(rule["expr"]))}
    assert named and named <= exposed(), named - exposed()


def test_any_overdue_event_or_delivery_raises_an_alert() -> None:
    found = rules()
    assert found["UndecidedEvents"]["expr"] == "max(drr_undecided_events) > 0"
    assert found["UnfinishedDeliveries"]["expr"] == "max(drr_unfinished_deliveries) > 0"
    severities = {str(found[name]["labels"]) for name in ("UndecidedEvents", "UnfinishedDeliveries")}
    assert severities == {"{'severity': 'critical'}"}
