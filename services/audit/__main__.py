"""`python -m services.audit`: JSON logs, then uvicorn serving the audit app."""

import uvicorn

from services.audit.bootstrap import AuditSettings, bootstrap
from services.audit.console.settings import ConsoleSettings
from shared import logs
from shared.settings import read_settings


def main() -> None:
    settings, console = read_settings(AuditSettings), read_settings(ConsoleSettings)
    logs.configure("audit", settings.log_level)
    # log_config=None keeps uvicorn from replacing the JSON handler configured above.
    uvicorn.run(bootstrap(settings, console), host=settings.host, port=settings.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
