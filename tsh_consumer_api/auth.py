"""Who is asking: the consumer's bearer token, a JWT issued by TSH's ERP, verified with PyJWT.

`CONSUMER_JWT_SECRET` verifies HS256 tokens, `CONSUMER_JWT_PUBLIC_KEY` (PEM; `\\n` may stand
for line breaks in an env file) RS256 ones; with both set, either is accepted, each only under
its own algorithm (a token cannot pick the other). The signature, `exp` and `nbf` (when the
token has them) are checked, and the `email` claim is required: it is the customer the token
speaks for. No token or a bad one is a 401; the caller compares the email (a 403 when it is
another customer's). Neither setting: the order history is off (503), never open.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <JWT from TSH's ERP>")
LEEWAY_SECONDS = 30  # clock drift between the ERP and this API


@dataclass(frozen=True)
class TokenKeys:
    # repr=False: settings printed or logged never show a key.
    secret: str | None = field(default=None, repr=False)
    public_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TokenKeys:
        env = os.environ if environ is None else environ
        public = env.get("CONSUMER_JWT_PUBLIC_KEY", "").strip().replace("\\n", "\n")
        return cls(env.get("CONSUMER_JWT_SECRET", "").strip() or None, public or None)

    def email(self, token: str) -> str:
        """The verified token's email claim, lower-cased; jwt.InvalidTokenError otherwise."""
        algorithm = jwt.get_unverified_header(token).get("alg")
        key = {"HS256": self.secret, "RS256": self.public_key}.get(str(algorithm))
        if key is None:
            raise jwt.InvalidAlgorithmError(f"tokens signed with {algorithm} are not accepted")
        claims = jwt.decode(token, key, algorithms=[str(algorithm)], leeway=LEEWAY_SECONDS,
                            options={"require": ["email"]})  # fmt: skip
        email = claims["email"]
        if not isinstance(email, str) or "@" not in email:
            raise jwt.InvalidTokenError("the email claim is not an email address")
        return email.strip().lower()


def token_email(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The email of the customer the request's token speaks for (401 without a good one)."""
    keys: TokenKeys = request.app.state.token_keys
    if not (keys.secret or keys.public_key):
        raise HTTPException(503, "Order history is off: set CONSUMER_JWT_SECRET (HS256) or "
                            "CONSUMER_JWT_PUBLIC_KEY (RS256) on the consumer API.")  # fmt: skip
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "Send Authorization: Bearer <token> with the token TSH's "
                            "app signed in with.", headers=challenge)  # fmt: skip
    try:
        return keys.email(credentials.credentials)
    except jwt.InvalidTokenError as exc:
        # The reason (expired, bad signature) helps the app; the token itself is never echoed.
        raise HTTPException(401, f"The token was refused: {exc}. Sign in again.",
                            headers=challenge) from None  # fmt: skip
