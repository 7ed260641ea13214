"""What the two HTTP services share: reading settings from the environment, and serving."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Mapping
from typing import Any

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class SettingsError(ValueError):
    """A setting has a value the service cannot use; the message names the variable."""


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name}={value} must be at least {minimum}")
    return value


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean (use true or false)")


def serve(
    prog: str,
    description: str | None,
    default_port: int,
    load_settings: Callable[[], Any],
    create_app: Callable[[Any], Any],
    describe: Callable[[Any], None],
    argv: list[str] | None = None,
) -> None:
    """`python -m <service> --host H --port P`: settings read once, then uvicorn."""
    import uvicorn  # only the services need it, not the migrations

    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
    except SettingsError as exc:
        parser.exit(2, f"{prog}: {exc}\n")
    describe(settings)
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_level=args.log_level,
        server_header=False,
    )  # fmt: skip
