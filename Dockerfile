# One slim image for every service: the Dagster code server, webserver and daemon, the webhook
# receiver, the consumer API, the migrations (and the Zoho sandbox for the stack test). The
# command picks the service.
#
# No package index is needed inside the build: `make wheels` puts the pinned wheels of
# deploy/requirements.lock in wheelhouse/ on the host, and the build installs only those
# (--no-index), so rebuilding a release gives the same packages. `make image TAG=...` does both.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
# Dependencies first, so a code change reuses this layer.
COPY deploy/requirements.lock /build/requirements.lock
COPY wheelhouse /build/wheelhouse
RUN /opt/venv/bin/pip install --no-index --find-links /build/wheelhouse -r /build/requirements.lock
COPY pyproject.toml README.md /build/src/
COPY tsh_db /build/src/tsh_db
COPY tsh_pipelines /build/src/tsh_pipelines
COPY tsh_webhooks /build/src/tsh_webhooks
COPY tsh_consumer_api /build/src/tsh_consumer_api
COPY zoho_sandbox /build/src/zoho_sandbox
RUN /opt/venv/bin/pip install --no-index --find-links /build/wheelhouse --no-deps /build/src

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DAGSTER_HOME=/opt/dagster/dagster_home
RUN groupadd --system tsh && useradd --system --gid tsh --home /app tsh \
 && mkdir -p /app/images /opt/dagster/dagster_home && chown -R tsh:tsh /app /opt/dagster
COPY --from=build /opt/venv /opt/venv
COPY --chown=tsh:tsh dagster.yaml /opt/dagster/dagster_home/dagster.yaml
COPY --chown=tsh:tsh deploy/workspace.grpc.yaml /opt/dagster/dagster_home/workspace.yaml
WORKDIR /app
USER tsh
EXPOSE 3000 4000 8000 8001
# Each compose service sets its command and a healthcheck against its own /health or port.
CMD ["python", "-m", "tsh_webhooks", "--host", "0.0.0.0", "--port", "8000"]
