from services.router.app import build
from services.router.bootstrap import RouterSettings
from shared.faust_app import run_worker

settings = RouterSettings()
run_worker(build(settings), "router", settings.log_level)
