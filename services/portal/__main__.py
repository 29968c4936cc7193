"""`python -m services.portal`: JSON logs, then uvicorn serving the portal (127.0.0.1:8005 by default)."""

import uvicorn

from services.portal.app import build_app
from services.portal.bootstrap import PortalSettings
from shared import logs
from shared.settings import read_settings


def main() -> None:
    settings = read_settings(PortalSettings)
    logs.configure("portal", settings.log_level)
    # log_config=None keeps uvicorn from replacing the JSON handler configured above.
    uvicorn.run(build_app(settings), host=settings.host, port=settings.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
