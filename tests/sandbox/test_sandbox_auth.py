"""OAuth: grant shape, invalid_code/invalid_client at HTTP 200, throttle, 10-token cap, expiry,
revocation. Runs against its own sandbox (short TTL and lock-out), reset before each test."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.sandbox.sandbox_helpers import Zoho, assert_zoho_error
from zoho_sandbox.process import SandboxProcess

TTL = 2
LOCKOUT = 0.5  # short enough that tokens issued before it are still live after it
THROTTLE = {
    "error_description": "You have made too many requests continuously. "
    "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


@pytest.fixture(scope="module")
def auth_sandbox() -> Iterator[SandboxProcess]:
    with SandboxProcess(
        items=10,
        invoices=10,
        bills=5,
        creditnotes=5,
        salesorders=5,
        customers=5,
        vendors=2,
        token_ttl=TTL,
        token_lockout=LOCKOUT,
    ) as sb:
        yield sb


@pytest.fixture
def client(auth_sandbox: SandboxProcess) -> Zoho:
    auth_sandbox.reset()  # fresh throttle window and token list for every test
    return Zoho(auth_sandbox.url)


def test_grant_shape(client: Zoho) -> None:
    resp = client.grant()
    body = resp.json()
    assert resp.status_code == 200
    assert re.fullmatch(r"1000\.[0-9a-f]{32}\.[0-9a-f]{32}", body["access_token"])
    assert body["expires_in"] == TTL and body["token_type"] == "Bearer"
    assert body["api_domain"] == client.url
    assert client.get("/books/v3/items", token=body["access_token"]).status_code == 200


def test_form_body_grant(client: Zoho) -> None:
    resp = client.http.post(
        "/oauth/v2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": "sandbox-client",
            "client_secret": "sandbox-secret",
            "refresh_token": "sandbox-refresh-token",
        },
    )
    assert resp.status_code == 200 and "access_token" in resp.json()


def test_bad_refresh_token_is_invalid_code_at_200(client: Zoho) -> None:
    resp = client.grant(refresh_token="1000.nope")
    assert resp.status_code == 200 and resp.json() == {"error": "invalid_code"}


def test_wrong_client_is_invalid_client_at_200(client: Zoho) -> None:
    resp = client.grant(client_secret="wrong")
    assert resp.status_code == 200 and resp.json() == {"error": "invalid_client"}


def test_throttle_after_ten_requests_then_lockout(
    client: Zoho, auth_sandbox: SandboxProcess
) -> None:
    for _ in range(10):
        assert "access_token" in client.grant().json()
    for _ in range(2):  # the 11th, and every request during the lock-out
        resp = client.grant()
        assert resp.status_code == 400 and resp.json() == THROTTLE
    time.sleep(LOCKOUT + 0.2)
    assert "access_token" in client.grant().json()
    assert auth_sandbox.stats()["token_requests"] == 13


def test_failed_grants_count_toward_throttle(client: Zoho) -> None:
    for _ in range(10):
        client.grant(refresh_token="bad")
    assert client.grant().status_code == 400


def test_at_most_ten_live_tokens(client: Zoho, auth_sandbox: SandboxProcess) -> None:
    tokens = [client.grant().json()["access_token"] for _ in range(10)]
    assert all(client.get("/books/v3/items", token=t).status_code == 200 for t in tokens)
    assert client.grant().status_code == 400  # the throttle: wait it out to get an 11th
    time.sleep(LOCKOUT + 0.2)
    eleventh = client.grant().json()["access_token"]
    assert_zoho_error(client.get("/books/v3/items", token=tokens[0]), 401, 57)
    assert client.get("/books/v3/items", token=tokens[1]).status_code == 200
    assert client.get("/books/v3/items", token=eleventh).status_code == 200
    assert auth_sandbox.stats()["live_tokens"] == 10


def test_token_expires_after_ttl(client: Zoho) -> None:
    token = client.login()
    assert client.get("/inventory/v1/items").status_code == 200
    time.sleep(TTL + 0.2)
    assert_zoho_error(client.get("/inventory/v1/items", token=token), 401, 57)


def test_revoke_tokens_fault(client: Zoho, auth_sandbox: SandboxProcess) -> None:
    client.login()
    auth_sandbox.faults(revoke_tokens=True)
    assert_zoho_error(client.get("/books/v3/contacts"), 401, 57)
    client.login()  # a fresh grant works again
    assert client.get("/books/v3/contacts").status_code == 200


def test_revoked_refresh_token_until_reset(client: Zoho, auth_sandbox: SandboxProcess) -> None:
    auth_sandbox.faults(revoke_refresh_token=True)
    assert client.grant().json() == {"error": "invalid_code"}
    auth_sandbox.faults(clear=True)
    assert client.grant().json() == {"error": "invalid_code"}
    auth_sandbox.reset()
    assert "access_token" in client.grant().json()


def test_wrong_auth_scheme_and_empty_token(client: Zoho) -> None:
    token = client.login()
    bearer = client.http.get(
        "/books/v3/items",
        params={"organization_id": "10234695"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_zoho_error(bearer, 401, 14)
    empty = client.http.get(
        "/books/v3/items",
        params={"organization_id": "10234695"},
        headers={"Authorization": "Zoho-oauthtoken"},
    )
    assert_zoho_error(empty, 401, 14)
