"""The two HTTP ways in and out: the receiver's /api/tds/orders (its own token; bad orders
refused naming the field, nothing stored; the ops API lists and replays failures) and the
consumer API's order history (the token's own customer only)."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from tests.outbox.conftest import a_customer, client_for, consumer_order, log
from tsh_consumer_api.app import create_app as consumer_app
from tsh_consumer_api.settings import Settings as ConsumerSettings
from tsh_db.schema import tds_outbox
from tsh_pipelines.outbox.worker import drain
from tsh_webhooks.app import create_app as receiver_app
from tsh_webhooks.settings import Settings
from zoho_sandbox.process import SandboxProcess

ORDERS, ADMIN, SECRET = (
    "orders-token-26",
    "admin-token-26",
    "jwt-secret-of-the-issue-26-tests-0123456789",
)


def receiver(engine: Engine) -> TestClient:
    settings = Settings(database_url=engine.url.render_as_string(hide_password=False),
                        admin_api_token=ADMIN, orders_token=ORDERS)  # fmt: skip
    return TestClient(receiver_app(settings))


def stored(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(tds_outbox)) or 0)


def test_the_receiver_takes_orders_with_its_own_token_and_refuses_bad_ones(
    replica: Engine,
) -> None:
    order = consumer_order(replica, external_id="APP-1001")
    bearer = {"Authorization": f"Bearer {ORDERS}"}
    with receiver(replica) as http:
        for headers in ({}, {"Authorization": f"Bearer {ADMIN}"}):  # the admin token opens none
            assert http.post("/api/tds/orders", json=order, headers=headers).status_code == 401
        assert http.get("/api/tds/outbox", headers=bearer).status_code == 401  # nor the reverse
        deleted = a_deleted_product(replica)
        bad = {
            "items[0].product_id": {"items": [{"product_id": "999", "quantity": 1}]},
            "items[1].quantity": {"items": [order["items"][0], {**order["items"][1],
                                                                  "quantity": 0}]},
            "items[0].price": {"items": [{**order["items"][0], "price": 1}]},
            "customer": {"customer": {"name": "Nobody"}},
            "kind": {"kind": "gift"},
        }  # fmt: skip
        if deleted:
            bad["items[0].product_id "] = {"items": [{"product_id": deleted, "quantity": 1}]}
        for field, change in bad.items():
            answer = http.post("/api/tds/orders", json={**order, **change}, headers=bearer)
            assert answer.status_code == 422 and answer.json()["field"] == field.strip()
        assert stored(replica) == 0  # nothing half-written
        made = http.post("/api/tds/orders", json=order, headers=bearer)
        assert made.status_code == 201 and made.json()["status"] == "pending"
        again = http.post("/api/tds/orders", json=order, headers=bearer)  # the POS retried
        assert again.status_code == 200 and again.json()["id"] == made.json()["id"]
        other = {**order, "notes": "something else"}
        assert http.post("/api/tds/orders", json=other, headers=bearer).status_code == 409
        oid = made.json()["id"]
        assert http.get(f"/api/tds/orders/{oid}", headers=bearer).json()["reference_number"] \
            == f"TDS-{oid}"  # fmt: skip
        with replica.begin() as conn:  # as if Zoho refused it
            conn.execute(update(tds_outbox).values(status="failed", error_code=2,
                                                   error_message="Zoho refused it"))  # fmt: skip
        admin = {"Authorization": f"Bearer {ADMIN}"}
        listed = http.get("/api/tds/outbox", headers=admin).json()
        assert listed["counts"]["failed"] == 1 and listed["failed"][0]["error_code"] == 2
        replayed = http.post("/api/tds/outbox/replay", json={"ids": [oid]}, headers=admin)
        assert replayed.json() == {"replayed": 1}
        cancelled = http.post(f"/api/tds/orders/{oid}/cancel", headers=bearer).json()
        assert cancelled["status"] == "pending" and cancelled["cancelled_at"]
    assert stored(replica) == 1


def a_deleted_product(engine: Engine) -> str | None:
    from tsh_db.schema import products

    with engine.begin() as conn:
        pid = conn.scalar(select(products.c.zoho_id).order_by(products.c.zoho_id.desc()))
        conn.execute(update(products).where(products.c.zoho_id == pid)
                     .values(deleted_at=func.now()))  # fmt: skip
    return pid


def token(email: str, key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> dict:
    body = {"email": email, "exp": int(time.time()) + 600, **claims}
    return {"Authorization": f"Bearer {jwt.encode(body, key, algorithm=algorithm)}"}


def test_the_order_history_shows_a_customer_their_own_orders_only(
    sandbox26: SandboxProcess, replica: Engine, monkeypatch: Any
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setenv("CONSUMER_JWT_SECRET", SECRET)
    monkeypatch.setenv("CONSUMER_JWT_PUBLIC_KEY", public.decode().replace("\n", "\\n"))
    who = a_customer(replica).email
    with receiver(replica) as http:
        bearer = {"Authorization": f"Bearer {ORDERS}"}
        sent = http.post("/api/tds/orders", json=consumer_order(replica), headers=bearer).json()
        with client_for(sandbox26, replica) as client:
            drain(client, replica, log, seconds=30, idle_seconds=0)
        waiting = http.post("/api/tds/orders", json=consumer_order(replica), headers=bearer)
        http.post("/api/tds/orders", json=consumer_order(replica, email="else@tsh.example"),
                  headers=bearer)  # fmt: skip
    url = "/api/bff/mobile/consumer/orders/history"
    settings = ConsumerSettings(database_url=replica.url.render_as_string(hide_password=False))
    with TestClient(consumer_app(settings)) as app:
        mine = {"customer_email": who.upper()}
        assert app.get(url, params=mine).status_code == 401
        assert app.get(url, params=mine, headers=token(who, "x" * 40)).status_code == 401
        expired = token(who, exp=int(time.time()) - 3600)
        assert app.get(url, params=mine, headers=expired).status_code == 401
        other = app.get(url, params={"customer_email": "else@tsh.example"}, headers=token(who))
        assert other.status_code == 403
        answer = app.get(url, params=mine, headers=token(who, key, "RS256"))
        assert answer.status_code == 200
        data = answer.json()["data"]
        assert set(data) == {"orders", "total"} and data["total"] == 2
        by_status = {o["status"]: o for o in data["orders"]}
        assert set(by_status) == {"pending", "confirmed"}
        pending, confirmed = by_status["pending"], by_status["confirmed"]
        assert pending["id"] == str(waiting.json()["id"])
        assert confirmed["order_number"].startswith("SO-") and confirmed["id"] != str(sent["id"])
        assert confirmed["delivery_address"] == "Karrada, Baghdad"
        item = confirmed["items"][0]
        assert set(confirmed) == {
            "id", "order_number", "status", "total_amount", "currency", "created_at",
            "updated_at", "customer_name", "customer_email", "customer_phone",
            "delivery_address", "notes", "items"}  # fmt: skip
        assert set(item) == {"product_id", "product_name", "product_sku", "quantity", "price",
                             "image_url"}  # fmt: skip
        assert isinstance(item["quantity"], int) and isinstance(item["price"], float)
        assert isinstance(confirmed["total_amount"], float) and item["product_name"]
        only = app.get(url, params={**mine, "status": "pending", "page_size": 1},
                       headers=token(who)).json()["data"]  # fmt: skip
        assert only["total"] == 1 and len(only["orders"]) == 1
