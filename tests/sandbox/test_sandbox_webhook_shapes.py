"""The sandbox delivers like a Zoho webhook form configures it: body type, method, query
parameters, the event in the query or a header, and the facts file's signature (or the old
raw-body one)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.sandbox.sandbox_helpers import SMALL, Sink, wait_for, zoho_signed
from zoho_sandbox.__main__ import parse_args
from zoho_sandbox.deliveries import signing_string
from zoho_sandbox.process import SandboxProcess

SECRET = "shapeSecret12345"


@pytest.fixture(scope="module")
def sink() -> Iterator[Sink]:
    s = Sink(fail_first=0)
    yield s
    s.close()


@pytest.fixture(scope="module")
def hooked(sink: Sink) -> Iterator[SandboxProcess]:
    with SandboxProcess(**SMALL, books_rpm=100_000, webhook_url=sink.url,
                        webhook_secret=SECRET, webhook_backoff=0.05) as sb:  # fmt: skip
        yield sb


@pytest.fixture
def sb(hooked: SandboxProcess, sink: Sink) -> SandboxProcess:
    hooked.reset()
    sink.clear()
    return hooked


def _one_invoice_delivery(sb: SandboxProcess, sink: Sink) -> tuple[dict[str, Any], str]:
    rid = sb.mutate("invoices", "update")["records"][0]["id"]
    (hook,) = wait_for(lambda: sink.delivered("/hooks/invoices"))
    return hook, rid


def _query(hook: dict[str, Any]) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(hook["path"]).query, keep_blank_values=True)


def test_the_signing_string_is_the_facts_files_example() -> None:
    body = b'{"created_date":"2019-03-06","event_id":"5675"}'
    signed = signing_string([("subscription_id", "90343"), ("name", "basic")], [], body)
    assert signed == b'namebasicsubscription_id90343{"created_date":"2019-03-06","event_id":"5675"}'


def test_the_default_is_json_with_event_and_route_signed(sb: SandboxProcess, sink: Sink):
    sb.webhooks(params={"source": "zoho books"})
    hook, rid = _one_invoice_delivery(sb, sink)
    assert hook["method"] == "POST" and hook["headers"]["Content-Type"] == "application/json"
    assert _query(hook) == [("event", "edited"), ("route", "invoices"), ("source", "zoho books")]
    assert hook["body"]["invoice"]["invoice_id"] == rid
    assert zoho_signed(hook, SECRET)
    # The query is part of what is signed: the raw body's HMAC is not the header.
    raw = hmac.new(SECRET.encode(), hook["raw"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Zoho-Webhook-Signature"] != raw


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_jsonstring_bodies_with_another_method(sb: SandboxProcess, sink: Sink, method: str):
    sb.webhooks(body="jsonstring", method=method)
    hook, rid = _one_invoice_delivery(sb, sink)
    assert hook["method"] == method
    assert hook["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qsl(hook["raw"].decode())
    assert [k for k, _ in form] == ["JSONString"]
    assert json.loads(form[0][1])["invoice"]["invoice_id"] == rid
    assert zoho_signed(hook, SECRET)  # the form field is signed, nothing is appended


def test_field_bodies_carry_scalar_fields_or_only_the_id(sb: SandboxProcess, sink: Sink):
    sb.webhooks(body="fields")
    hook, rid = _one_invoice_delivery(sb, sink)
    fields = dict(parse_qsl(hook["raw"].decode()))
    assert fields["invoice_id"] == rid and fields["last_modified_time"]
    assert "line_items" not in fields  # only scalar fields are entity parameters
    assert zoho_signed(hook, SECRET)
    sb.webhooks(body="fields", id_only=True)
    sink.clear()
    hook, rid = _one_invoice_delivery(sb, sink)
    assert hook["raw"] == f"invoice_id={rid}".encode() and zoho_signed(hook, SECRET)


def test_event_header_raw_signing_and_no_route(sb: SandboxProcess, sink: Sink) -> None:
    sb.webhooks(event_in="header", signing="raw", route_param=False)
    hook, _ = _one_invoice_delivery(sb, sink)
    assert urlsplit(hook["path"]).query == ""
    assert hook["headers"]["X-ZOHO-Event"] == "invoice.edited"
    raw = hmac.new(SECRET.encode(), hook["raw"], hashlib.sha256).hexdigest()
    assert hook["headers"]["X-Zoho-Webhook-Signature"] == raw


def test_cli_flags_shape_the_start_policy() -> None:
    _args, cfg = parse_args([
        "--webhook-body", "fields", "--webhook-id-only", "--webhook-method", "PUT",
        "--webhook-signing", "raw", "--webhook-event-in", "header",
        "--webhook-no-route-param", "--webhook-params", "org=1&src=zoho",
    ])  # fmt: skip
    assert (cfg.webhook_body, cfg.webhook_id_only, cfg.webhook_method) == ("fields", True, "PUT")
    assert (cfg.webhook_signing, cfg.webhook_event_in) == ("raw", "header")
    assert (cfg.webhook_no_route_param, cfg.webhook_params) == (True, "org=1&src=zoho")
    for bad in (["--webhook-method", "GET"], ["--webhook-params", "no-equals"]):
        with pytest.raises(SystemExit):
            parse_args(bad)
