from services.notifier.app import build
from services.notifier.bootstrap import NotifierSettings
from shared.faust_app import run_worker

settings = NotifierSettings()
run_worker(build(settings), "notifier", settings.log_level)
