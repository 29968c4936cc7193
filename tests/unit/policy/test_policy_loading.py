"""A bad policy file is refused at start-up, naming the line and the rule at fault."""

from pathlib import Path

import pytest

from shared.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy

GOOD = DEFAULT_POLICY.read_text()


def broken(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_default_policy_loads_and_has_a_stable_content_hash() -> None:
    policy = load_policy()
    assert policy.hash.startswith("sha256:") and len(policy.hash) == 7 + 64
    assert parse_policy(GOOD + "\n# a comment changes nothing\n").hash == policy.hash
    assert parse_policy(broken("version: 1", "version: 2")).hash != policy.hash


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("roles: [mental_health]", "roles: [psychic]", "roles: [psychic]", "rule clinical-to-mental-health"),
        ("classes: [intelligence]\n    purpose", "classes: [gossip]\n    purpose", "classes: [gossip]", "gossip"),
        ("  - id: intelligence-to-police\n", "  - id: intelligence-to-police\n    events: [case.reopened]\n",
         "events: [case.reopened]", "unknown event type"),
        ("    classes: [risk]\n    purpose", "    fields: [shoe_size]\n    purpose", "- id: risk-to-risk-roles",
         "shoe_size"),
        ("    legal_basis: \"Directive (EU) 2016/680 Art. 8: law-enforcement processing\"\n", "",
         "- id: intelligence-to-police", "needs a purpose and a legal_basis"),
        ("    notice: \"Police hold", "    colour: blue\n    notice: \"Police hold", "colour: blue", "colour"),
    ],
)  # fmt: skip
def test_a_bad_rule_is_named_with_its_line(old: str, new: str, needle: str, message: str) -> None:
    text = broken(old, new)
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "bad.yaml")
    assert message in str(caught.value)
    assert f"bad.yaml:{line_of(text, needle)}" in str(caught.value)


def test_a_rule_id_used_twice_is_refused() -> None:
    with pytest.raises(PolicyError, match="used twice"):
        parse_policy(broken("id: intelligence-to-police", "id: operational-to-team"))


def test_a_deny_rule_cannot_hang_on_an_agreement_and_consent_needs_one() -> None:
    with pytest.raises(PolicyError, match="deny rule cannot depend"):
        parse_policy(
            broken(
                "    effect: deny\n    roles: *community_roles",
                "    effect: deny\n    agreement: X\n    roles: *community_roles",
            )
        )  # noqa: E501
    with pytest.raises(PolicyError, match="consent_required needs"):
        parse_policy(broken("    agreement: DRR-CLINICAL-ISA\n", ""))


def test_not_yaml_at_all_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("rules: [unclosed\n")
    with pytest.raises(PolicyError, match="not valid YAML"):
        load_policy(path)


def test_data_holders_are_agencies_and_an_agreement_reaches_one_holders_data_at_most() -> None:
    spec = load_policy().spec
    holders = {c.value: a.value for c, a in spec.data_holders.items()}
    assert holders == {"clinical": "mental_health", "intelligence": "police"}
    assert spec.agreement_classes()["DRR-CLINICAL-ISA"] == {"clinical"}
    with pytest.raises(PolicyError, match=r"bad.yaml:\d+: data_holders.clinical"):
        parse_policy(broken("clinical: mental_health", "clinical: the_nhs"), "bad.yaml")
    both = broken("    classes: [clinical]\n    agreement:", "    classes: [clinical, intelligence]\n    agreement:")
    with pytest.raises(PolicyError, match=r"DRR-CLINICAL-ISA reaches data held by \['mental_health', 'police'\]"):
        parse_policy(both)
