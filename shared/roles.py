"""Who takes part: the agencies that publish events and the roles a practitioner holds on a case team."""

from enum import StrEnum


class Agency(StrEnum):
    PRISON = "prison"
    PROBATION = "probation"
    POLICE = "police"
    MENTAL_HEALTH = "mental_health"
    SOCIAL_CARE = "social_care"
    YOUTH_WORK = "youth_work"
    COMMUNITY = "community"
    FAMILY_SUPPORT = "family_support"
    EXIT_PROGRAMME = "exit_programme"
    PANEL = "panel"


class Role(StrEnum):
    CASE_MANAGER = "case_manager"
    PROBATION = "probation"
    PRISON = "prison"
    POLICE = "police"
    MENTAL_HEALTH = "mental_health"
    SOCIAL_CARE = "social_care"
    YOUTH_WORK = "youth_work"
    COMMUNITY = "community"
    FAMILY_SUPPORT = "family_support"
    EXIT_PROGRAMME = "exit_programme"
    PANEL_CHAIR = "panel_chair"
    PANEL_MEMBER = "panel_member"
