"""The organisation record: `GET /organizations` and `/organizations/{id}` on both APIs."""

from __future__ import annotations

from typing import Any

from .clock import make_id
from .config import ORG_ID
from .specs import ENT


def organization(seed: int, time_zone: str) -> dict[str, Any]:
    """Field names as Zoho's sample responses show them; `time_zone` is the IANA name the
    sandbox renders every offset in, so a client can learn the zone instead of guessing."""
    return {
        "organization_id": ORG_ID,
        "name": "TSH",
        "contact_name": "TSH Administrator",
        "email": "admin@tsh-iq.example",
        "is_default_org": True,
        "is_org_active": True,
        "language_code": "en",
        "fiscal_year_start_month": 0,
        "account_created_date": "2024-01-01",
        "time_zone": time_zone,
        "currency_id": str(make_id(seed, ENT["currencies"], 1)),
        "currency_code": "IQD",
        "currency_symbol": "IQD",
        "currency_format": "###,##0",
        "price_precision": 0,
        "country": "Iraq",
    }
