import uvicorn

from services.intake.adapters import KafkaPublisher
from services.intake.app import create_app
from services.intake.bootstrap import IntakeSettings
from shared.logs import configure

settings = IntakeSettings()
configure("intake", settings.log_level)
app = create_app(settings, KafkaPublisher(settings.kafka_bootstrap))
uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False)
