from datetime import timedelta

from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from services.notifier.clock import OffsetClock
from shared.faust_app import run_worker
from shared.settings import read_settings

settings = read_settings(NotifierSettings)
clock = OffsetClock(timedelta(seconds=settings.clock_offset_s)) if settings.clock_offset_s else None
run_worker(build(settings, clock=clock), "notifier", settings.log_level)
