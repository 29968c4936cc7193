# One image for the four services and the topic-creation job; the command picks which one runs
# (docker-compose.yml sets `python -m services.<name>` per service).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Only what the package needs: not .venv, var/ or the 40 MB of Kafka jars in deploy/kafka/lib.
COPY pyproject.toml ./
COPY verifier ./verifier
COPY shared ./shared
COPY services ./services
COPY policy ./policy
ENV DRR_ROUTER_POLICY_PATH=/app/policy/default.yaml
COPY deploy/__init__.py ./deploy/__init__.py
COPY deploy/local ./deploy/local
RUN pip install ./verifier . \
    && find /app -name __pycache__ -prune -exec rm -rf {} + \
    && rm -rf build *.egg-info verifier/build verifier/*.egg-info

# Non-root. /app stays writable for faust's per-app data folder (<app id>-data in the working
# directory); /data holds a SQLite audit ledger, /keys the audit signing key and /record-keys/<service> the
# audit record keys the audit-keys job makes (named volumes inherit
# this ownership).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin drr \
    && mkdir -p /data /keys /record-keys/intake /record-keys/router /record-keys/notifier /record-keys/audit \
    && chown drr:drr /app /data /keys \
    && chown -R drr:drr /record-keys
USER drr

CMD ["python", "-m", "services.intake"]
