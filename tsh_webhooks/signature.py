"""The webhook signature: Zoho Finance's scheme, and the raw-body variant.

Zoho Billing documents the scheme of the Zoho Finance platform Books shares: the header
`X-Zoho-Webhook-Signature` is HMAC-SHA256, under the webhook's secret, of one string made of
every query parameter and every x-www-form-urlencoded field, sorted by key, each written as
key immediately followed by its URL-decoded value, with the raw JSON body appended. Whether
the digest is hex or base64 is unconfirmed, so both are read. Books' own signing is
unconfirmed too: the HMAC of the raw body alone stays accepted, but it covers no query
parameter, so the receiver tries it only when the URL carries none it acts on (see
`delivery.ACTED_ON`); a captured delivery can then not be replayed with another `event`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from tsh_webhooks.delivery import Rejected

SIGNATURE_HEADER = "X-Zoho-Webhook-Signature"
ZOHO = "zoho: sorted query parameters and form fields, then the JSON body"
RAW = "raw body"
DIGEST_SIZE = hashlib.sha256().digest_size

Pairs = Sequence[tuple[str, str]]


def signing_string(query: Pairs, form: Pairs, json_body: bytes) -> bytes:
    """Zoho's example: query `subscription_id=90343&name=basic` and body `{...}` sign
    `namebasicsubscription_id90343{...}`. A stable sort keeps repeated keys in sent order."""
    pairs = sorted([*query, *form], key=itemgetter(0))
    return "".join(key + value for key, value in pairs).encode() + json_body


def decode(header: str | None) -> tuple[bytes | None, str]:
    """The digest a header carries and how it was written: hex, base64, missing, unreadable."""
    value = (header or "").strip()
    if not value:
        return None, "missing"
    if len(value) == 2 * DIGEST_SIZE:
        try:
            return bytes.fromhex(value), "hex"
        except ValueError:
            pass
    try:  # standard or URL-safe alphabet, padding optional
        value = value.replace("-", "+").replace("_", "/")
        digest = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None, "unreadable"
    return (digest, "base64") if len(digest) == DIGEST_SIZE else (None, "unreadable")


@dataclass
class Check:
    """What a verification tried, for the rejections list; never a digest or a secret."""

    encoding: str | None = None  # hex | base64 | missing | unreadable
    tried: list[str] = field(default_factory=list)
    matched: str | None = None


class Verifier:
    """HMAC-SHA256 under every configured secret, keyed once at start-up.

    Every secret and every variant is compared (no early exit), so the timing does not tell
    which secret or variant matched; several secrets let a rotation run old and new side by
    side.
    """

    def __init__(self, secrets: Sequence[str]) -> None:
        self._keys = tuple(hmac.new(s.encode(), digestmod=hashlib.sha256) for s in secrets)

    def __bool__(self) -> bool:
        return bool(self._keys)

    def _matches(self, message: bytes, given: bytes) -> bool:
        matched = False
        for key in self._keys:
            mac = key.copy()
            mac.update(message)
            matched |= hmac.compare_digest(mac.digest(), given)
        return matched

    def check(self, header: str | None, variants: dict[str, bytes], check: Check) -> Check:
        """Fill `check` with the header's encoding, the variants tried and the one matched."""
        given, check.encoding = decode(header)
        if given is None:
            return check
        for name, message in variants.items():
            check.tried.append(name)
            if self._matches(message, given) and check.matched is None:
                check.matched = name
        return check


def verify(
    verifier: Verifier, header: str | None, query: Pairs, form: Pairs, json_body: bytes,
    raw: bytes, acted_on: Sequence[str], check: Check,
) -> None:  # fmt: skip
    """Accept Zoho's scheme, or the raw-body variant when no acted-on parameter is sent."""
    if not verifier:
        raise Rejected(
            401, "unauthorized",
            "The receiver has no webhook secret: ZOHO_WEBHOOK_SECRETS is not set. Set it to the "
            "secret configured on the Zoho webhook and restart the receiver.",
        )  # fmt: skip
    variants = {ZOHO: signing_string(query, form, json_body)}
    if not acted_on:
        variants[RAW] = raw
    verifier.check(header, variants, check)
    if check.matched:
        return
    if check.encoding in ("missing", "unreadable"):
        what = f"{check.encoding}: it must be the hex or base64 HMAC-SHA256"
    else:
        what = f"wrong: it matches no secret over {' nor '.join(check.tried)}"
    unsigned = (
        f" The raw-body variant was not tried: it does not cover {', '.join(acted_on)}."
        if acted_on
        else ""
    )
    raise Rejected(
        401, "unauthorized",
        f"The {SIGNATURE_HEADER} header is {what}.{unsigned} Zoho signs the query parameters "
        "and form fields sorted by key, each key followed by its value, then the JSON body; "
        "check that the Zoho webhook's secret is one of ZOHO_WEBHOOK_SECRETS.",
    )  # fmt: skip
