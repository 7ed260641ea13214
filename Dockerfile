# One slim image for every service: the Dagster code server, webserver and daemon, the webhook
# receiver, the consumer API and the migrations. The command picks the service.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home

RUN groupadd --system tsh && useradd --system --gid tsh --home /app tsh \
 && mkdir -p /app /opt/dagster/dagster_home && chown -R tsh:tsh /app /opt/dagster

WORKDIR /app
# Dependencies first, from the repo's own pyproject, so code changes reuse this layer.
COPY pyproject.toml README.md ./
RUN mkdir -p tsh_db tsh_pipelines tsh_webhooks tsh_consumer_api zoho_sandbox \
 && touch tsh_db/__init__.py tsh_pipelines/__init__.py tsh_webhooks/__init__.py \
          tsh_consumer_api/__init__.py zoho_sandbox/__init__.py \
 && pip install . && pip uninstall -y tsh-zoho-sync

COPY --chown=tsh:tsh tsh_db ./tsh_db
COPY --chown=tsh:tsh tsh_pipelines ./tsh_pipelines
COPY --chown=tsh:tsh tsh_webhooks ./tsh_webhooks
COPY --chown=tsh:tsh tsh_consumer_api ./tsh_consumer_api
COPY --chown=tsh:tsh zoho_sandbox ./zoho_sandbox
COPY --chown=tsh:tsh dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY --chown=tsh:tsh deploy/workspace.grpc.yaml /opt/dagster/dagster_home/workspace.yaml
RUN pip install --no-deps .

USER tsh
EXPOSE 3000 4000 8000 8001
# Each compose service sets its command and a HEALTHCHECK against its own /health or port.
CMD ["python", "-m", "tsh_webhooks", "--host", "0.0.0.0", "--port", "8000"]
