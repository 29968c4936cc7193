"""Scheduled work on durable state: the one scheduler (scheduler.py) and its kinds: chases (chases.py, with
the rules of each chase in escalation.py, ownership.py and panel_actions.py), reminders (reminders.py),
pauses (pauses.py), and forgetting ledger entries and acknowledgements past the replay horizon
(forgetting.py); each case's team as the kinds read it (teams.py). Other folders import from here only."""

from services.notifier.schedule.chases import Chasing, chases
from services.notifier.schedule.escalation import AlertWatch, Escalation
from services.notifier.schedule.forgetting import Forgetting
from services.notifier.schedule.ownership import Ownership
from services.notifier.schedule.panel_actions import OVERDUE as ACTION_OVERDUE
from services.notifier.schedule.panel_actions import PanelActions, own_actions
from services.notifier.schedule.pauses import NEVER_HELD, Pauses, Pausing
from services.notifier.schedule.reminders import Reminders, Reminding
from services.notifier.schedule.scheduler import Scheduler
from services.notifier.schedule.teams import CaseTeams

__all__ = [
    "ACTION_OVERDUE",
    "NEVER_HELD",
    "AlertWatch",
    "CaseTeams",
    "Chasing",
    "Escalation",
    "Forgetting",
    "Ownership",
    "PanelActions",
    "Pauses",
    "Pausing",
    "Reminders",
    "Reminding",
    "Scheduler",
    "chases",
    "own_actions",
]
