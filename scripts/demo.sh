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
# The sandbox's Inventory allows 300 calls a minute here (real Zoho: about 25) so that the
# per-warehouse stock of the demo catalogue loads in a minute; the client is told the same.
INVENTORY_RPM=${INVENTORY_RPM:-300}

export ZOHO_CLIENT_ID=sandbox-client ZOHO_CLIENT_SECRET=sandbox-secret
export ZOHO_REFRESH_TOKEN=sandbox-refresh-token ZOHO_ORGANIZATION_ID=10234695
export ZOHO_API_BASE_URL=http://127.0.0.1:$SANDBOX_PORT ZOHO_ACCOUNTS_URL=http://127.0.0.1:$SANDBOX_PORT
export ZOHO_INVENTORY_RPM=$INVENTORY_RPM
export ZOHO_WEBHOOK_SECRETS=${ZOHO_WEBHOOK_SECRETS:-demo-webhook-secret}
export ADMIN_API_TOKEN=${ADMIN_API_TOKEN:-demo-admin-token}
export DAGSTER_UI_URL=http://127.0.0.1:$DAGSTER_PORT

mkdir -p "$DAGSTER_HOME" .tsh/logs
cp deploy/dagster.demo.yaml "$DAGSTER_HOME/dagster.yaml"

trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
"$PY" -m tsh_db upgrade

"$PY" -m zoho_sandbox --host 127.0.0.1 --port "$SANDBOX_PORT" --seed 42 \
  --inventory-rpm "$INVENTORY_RPM" \
  --webhook-url "http://127.0.0.1:$WEBHOOKS_PORT/api/zoho/webhooks" \
  --webhook-secret "${ZOHO_WEBHOOK_SECRETS%%,*}" > .tsh/logs/sandbox.log 2>&1 &
"$PY" -m tsh_webhooks --host 127.0.0.1 --port "$WEBHOOKS_PORT" > .tsh/logs/webhooks.log 2>&1 &
"$PY" -m tsh_consumer_api --host 127.0.0.1 --port "$CONSUMER_PORT" > .tsh/logs/consumer.log 2>&1 &

cat <<MSG

  Zoho sandbox      http://127.0.0.1:$SANDBOX_PORT   (POST /_sandbox/mutate to change records)
  Webhook receiver  http://127.0.0.1:$WEBHOOKS_PORT/docs  (admin token: $ADMIN_API_TOKEN)
  Consumer API      http://127.0.0.1:$CONSUMER_PORT/docs
  Dagster UI        http://127.0.0.1:$DAGSTER_PORT   (Materialize all, then backfill invoices)
  Database          $DATABASE_URL
  Logs              .tsh/logs/

MSG
"$PY" -m dagster dev -w workspace.yaml -h 127.0.0.1 -p "$DAGSTER_PORT"
