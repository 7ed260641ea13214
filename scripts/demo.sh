#!/usr/bin/env bash
# The demo: a Zoho sandbox, the webhook receiver, the consumer API and Dagster (webserver and
# daemon), all on the embedded SQLite database under .tsh/. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
ROOT=$PWD

export DATABASE_URL=${DATABASE_URL:-sqlite:///$ROOT/.tsh/tsh.db}
export DAGSTER_HOME=${DAGSTER_HOME:-$ROOT/.tsh/dagster_home}
SANDBOX_PORT=${SANDBOX_PORT:-8090}
WEBHOOKS_PORT=${WEBHOOKS_PORT:-8091}
CONSUMER_PORT=${CONSUMER_PORT:-8092}
DAGSTER_PORT=${DAGSTER_PORT:-3000}
# The demo raises the sandbox's limits above Zoho's real ones (Books about 100 calls a
# minute, Inventory about 25) so that the first materialization, about 2,900 calls of which
# 2,300 are line-item details, takes minutes rather than half an hour; the client is told
# the same limits, and the sandbox says so in its start-up line. Tests and benchmarks keep
# Zoho's limits. BOOKS_RPM=100 INVENTORY_RPM=25 make demo shows the real pace.
BOOKS_RPM=${BOOKS_RPM:-1200}
INVENTORY_RPM=${INVENTORY_RPM:-600}

export ZOHO_CLIENT_ID=sandbox-client ZOHO_CLIENT_SECRET=sandbox-secret
export ZOHO_REFRESH_TOKEN=sandbox-refresh-token ZOHO_ORGANIZATION_ID=10234695
export ZOHO_API_BASE_URL=http://127.0.0.1:$SANDBOX_PORT ZOHO_ACCOUNTS_URL=http://127.0.0.1:$SANDBOX_PORT
export ZOHO_BOOKS_RPM=$BOOKS_RPM ZOHO_INVENTORY_RPM=$INVENTORY_RPM
export ZOHO_WEBHOOK_SECRETS=${ZOHO_WEBHOOK_SECRETS:-demo-webhook-secret}
export ADMIN_API_TOKEN=${ADMIN_API_TOKEN:-demo-admin-token}
export TSH_ORDERS_TOKEN=${TSH_ORDERS_TOKEN:-demo-orders-token}
export CONSUMER_JWT_SECRET=${CONSUMER_JWT_SECRET:-demo-consumer-jwt-secret-of-32-bytes}
export DAGSTER_UI_URL=http://127.0.0.1:$DAGSTER_PORT
# Picture URLs (image_url) are absolute: the API as the demo publishes it.
export CONSUMER_PUBLIC_BASE_URL=${CONSUMER_PUBLIC_BASE_URL:-http://127.0.0.1:$CONSUMER_PORT}

mkdir -p "$DAGSTER_HOME" .tsh/logs
cp deploy/dagster.demo.yaml "$DAGSTER_HOME/dagster.yaml"
# The same environment for the README's commands in another terminal: set -a; . .tsh/demo.env
for name in DATABASE_URL DAGSTER_HOME DAGSTER_UI_URL ADMIN_API_TOKEN TSH_ORDERS_TOKEN \
    CONSUMER_JWT_SECRET ZOHO_WEBHOOK_SECRETS \
    ZOHO_CLIENT_ID ZOHO_CLIENT_SECRET ZOHO_REFRESH_TOKEN ZOHO_ORGANIZATION_ID \
    ZOHO_API_BASE_URL ZOHO_ACCOUNTS_URL ZOHO_BOOKS_RPM ZOHO_INVENTORY_RPM; do
  printf '%s=%q\n' "$name" "${!name}"
done > .tsh/demo.env

trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
"$PY" -m tsh_db upgrade

"$PY" -m zoho_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --seed 42 \
  --books-rpm "$BOOKS_RPM" --inventory-rpm "$INVENTORY_RPM" \
  --webhook-url "http://127.0.0.1:$WEBHOOKS_PORT/api/zoho/webhooks" \
  --webhook-secret "${ZOHO_WEBHOOK_SECRETS%%,*}" > .tsh/logs/sandbox.log 2>&1 &
"$PY" -m tsh_webhooks --host 127.0.0.1 --port "$WEBHOOKS_PORT" > .tsh/logs/webhooks.log 2>&1 &
"$PY" -m tsh_consumer_api --host 127.0.0.1 --port "$CONSUMER_PORT" > .tsh/logs/consumer.log 2>&1 &

cat <<MSG

  Zoho sandbox      http://127.0.0.1:$SANDBOX_PORT   (POST /_sandbox/mutate to change records)
                    limits RAISED for the demo: Books $BOOKS_RPM, Inventory $INVENTORY_RPM calls a minute (Zoho: about 100 and 25)
  Webhook receiver  http://127.0.0.1:$WEBHOOKS_PORT/docs  (admin token: $ADMIN_API_TOKEN, orders token: $TSH_ORDERS_TOKEN)
  Consumer API      http://127.0.0.1:$CONSUMER_PORT/docs
  Dagster UI        http://127.0.0.1:$DAGSTER_PORT   (initial_sync_sensor starts the first sync within a minute)
  Database          $DATABASE_URL
  Logs              .tsh/logs/

MSG
"$PY" -m dagster dev -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT"
