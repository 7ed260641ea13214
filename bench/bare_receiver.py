"""The baseline for the webhook ingest benchmark: a bare FastAPI endpoint, one INSERT.

It reads the body, parses it, and inserts it into the same `tds_inbox_events` table, in the
same thread pool the receiver uses, on the same engine settings. No signature check, no
dedupe, no queue row, no metrics: the floor the real receiver's extra work is measured on.

    DATABASE_URL=... python -m bench.bare_receiver --host 127.0.0.1 --port 8099
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os

import uvicorn
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine

from tsh_db.engine import get_engine
from tsh_db.schema import tds_inbox_events
from tsh_db.types import utcnow


def insert(engine: Engine, route: str, event: str, body: bytes, payload: dict) -> None:
    record = next(iter(payload.values()))
    with engine.begin() as conn:
        conn.execute(
            tds_inbox_events.insert().values(
                event_id=hashlib.sha256(body).hexdigest(),
                entity_type=route,
                entity_id=str(record["item_id"]),
                event_type=event,
                raw_payload=payload,
                received_at=utcnow(),
            )
        )


def create_app(url: str) -> FastAPI:
    app = FastAPI()
    engine = get_engine(url)

    @app.post("/api/zoho/webhooks/{route}")
    async def receive(route: str, request: Request, event: str = "edited") -> JSONResponse:
        body = await request.body()
        await run_in_threadpool(insert, engine, route, event, body, json.loads(body))
        return JSONResponse({"status": "queued"}, status_code=202)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args()
    uvicorn.run(
        create_app(os.environ["DATABASE_URL"]),
        host=args.host,
        port=args.port,
        log_level="info",
        server_header=False,
    )


if __name__ == "__main__":
    main()
