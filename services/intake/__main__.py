import uvicorn

from services.intake.access import check_table
from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from services.intake.messages import SERVICE
from services.intake.store import SqliteStore
from shared.logs import configure
from shared.record_signing import RecordSigner
from shared.settings import read_settings

settings = read_settings(IntakeSettings)
configure("intake", settings.log_level)
check_table()
store = SqliteStore(settings.db_path)
try:
    signer = RecordSigner.from_file(SERVICE, settings.record_key_path)
    app = create_app(settings, KafkaPublisher(settings.kafka_access().client_options(), signer), store, store)
    proxies = settings.trusted_proxies or None  # none: the peer's address is the client's (the address rate limit)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies,
    )
finally:
    store.close()
