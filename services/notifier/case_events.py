"""The notifier's own consumer of drr.events (its own group): what case events change for it. In order:
the case's team first (every later step reads it), then ownership, compliance patterns, reminders, panel
actions and pauses. What it cannot parse the router dead-letters; what parses but fails deeper here is
dead-lettered as this consumer's."""

import faust

from services.notifier import metrics
from services.notifier.compliance import PatternWatcher
from services.notifier.schedule import CaseTeams, Chasing, Pausing, Reminding
from shared import topics
from shared.dead_letters import handle_or_dead_letter
from shared.events import parse_sealed_event_json
from shared.faust_app import raw_topic


def wire_case_events(
    app: faust.App, teams: CaseTeams, chasing: Chasing, watcher: PatternWatcher, reminding: Reminding, pausing: Pausing
) -> None:
    dead_letters = raw_topic(app, topics.DEAD_LETTERS)

    async def take(raw: bytes) -> None:
        try:
            event = parse_sealed_event_json(raw)  # its sealed fields stay sealed: none is read here
        except ValueError:
            return  # the router dead-letters what it cannot parse
        teams.fold(event)
        await chasing.check_owner(event)
        await watcher.on_event(event)
        reminding.on_event(event)
        chasing.follow_panel_actions(event)
        metrics.CASE_EVENTS.inc()
        pausing.on_event(event)

    @app.agent(raw_topic(app, topics.EVENTS))
    async def case_events(stream: faust.StreamT[bytes]) -> None:
        async for raw in stream:
            await handle_or_dead_letter(take, raw, dead_letters, topics.EVENTS, consumer="notifier")
