"""The org-wide in-flight cap: slots are leased per grant, never held across a token wait, and
follow ZOHO_MAX_IN_FLIGHT when it is raised."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from tests.zoho_client.conftest import settings_for
from tests.zoho_client.test_client_limits import refresh_log
from tsh_db.schema import zoho_api_slots
from tsh_db.types import utcnow
from tsh_pipelines.zoho import BOOKS, SYNC, ZohoClient, ZohoSettings
from tsh_pipelines.zoho.limits import SharedRateLimiter
from zoho_sandbox.process import DEMO_CREDENTIALS, SandboxProcess

HOLDERS = [
    ("host-a:101", "host-b:202"),
    ("host:7", "host:7"),  # two clients in one process share a holder
    ("h" * 80 + ":1", "host-b:202"),  # a long host name still fits holder's 64 characters
]


def limiter(engine: Engine, holder: str, max_in_flight: int = 1) -> SharedRateLimiter:
    settings = ZohoSettings(
        client_id="c", client_secret="s", refresh_token="r", organization_id="1",
        max_in_flight=max_in_flight,
    )  # fmt: skip
    return SharedRateLimiter(settings, engine, SYNC, holder)


def leased(engine: Engine) -> dict[int, str]:
    """Slot → holder, for the slots whose lease still runs."""
    t = zoho_api_slots.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.slot, t.holder, t.lease_until).where(t.api == BOOKS)).all()
    now = utcnow()
    return {r.slot: r.holder for r in rows if r.lease_until is not None and r.lease_until > now}


def slot_numbers(engine: Engine) -> list[int]:
    t = zoho_api_slots.c
    with engine.connect() as conn:
        return list(conn.scalars(select(t.slot).where(t.api == BOOKS).order_by(t.slot)))


@pytest.mark.parametrize(("old_holder", "new_holder"), HOLDERS)
def test_release_after_an_expired_lease_passed_on_keeps_the_new_lease(
    engine: Engine, old_holder: str, new_holder: str
) -> None:
    old, new = limiter(engine, old_holder), limiter(engine, new_holder)
    stale = old.acquire(BOOKS)
    with engine.begin() as conn:  # the old call hung past its lease
        conn.execute(update(zoho_api_slots).values(lease_until=utcnow()))
    taken = new.acquire(BOOKS)
    assert taken.slot == stale.slot == 0

    old.release(stale)  # late: the slot is no longer the old call's to free
    assert list(leased(engine)) == [0]
    assert leased(engine)[0] == taken.lease != stale.lease
    assert taken.lease.startswith(new_holder[:40]) and len(taken.lease) <= 64
    new.release(taken)
    assert leased(engine) == {}


def test_raising_max_in_flight_adds_the_missing_slots(engine: Engine) -> None:
    before = limiter(engine, "host:1", max_in_flight=2)
    before.release(before.acquire(BOOKS))
    assert slot_numbers(engine) == [0, 1]

    after = limiter(engine, "host:2", max_in_flight=4)  # ZOHO_MAX_IN_FLIGHT raised, restarted
    grants = [after.acquire(BOOKS)]
    assert slot_numbers(engine) == [0, 1, 2, 3]
    grants += [after.acquire(BOOKS) for _ in range(3)]  # all four at once, none waiting
    assert sorted(g.slot for g in grants) == [0, 1, 2, 3]
    assert len(leased(engine)) == 4


def test_no_slot_is_held_while_the_token_throttle_is_waited_out(engine: Engine) -> None:
    with SandboxProcess(seed=3, items=50, token_lockout=2) as sb:
        for _ in range(11):  # someone else used up the ten token requests of the window
            httpx.post(f"{sb.url}/oauth/v2/token", data={
                "grant_type": "refresh_token", **{k: v for k, v in DEMO_CREDENTIALS.items()
                                                  if k != "organization_id"}})  # fmt: skip
        settings = settings_for(sb, token_throttle_wait_seconds=2.5, max_in_flight=1)
        bodies: list[dict] = []
        with ZohoClient(settings, engine) as client:
            call = threading.Thread(target=lambda: bodies.append(client.get(BOOKS, "contacts")))
            call.start()
            during_wait = []
            while call.is_alive():
                if refresh_log(engine) == [("auto", False)]:  # refused; the client now waits
                    during_wait.append(leased(engine))
                time.sleep(0.05)
            call.join()
    assert bodies and bodies[0]["code"] == 0
    assert refresh_log(engine) == [("auto", False), ("auto", True)]
    assert len(during_wait) > 10  # sampled through most of the 2.5 s wait
    assert all(slots == {} for slots in during_wait)
    assert leased(engine) == {}
