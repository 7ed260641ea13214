"""Least-privilege PostgreSQL roles, one per service: `python -m tsh_db create-roles`.

Roles are cluster-wide but privileges are per database, so this is run (as an admin, after
`upgrade`) once per database; it is idempotent. Each run first revokes everything a role has in
this database, then grants exactly what the role needs, all in one transaction: rerunning it
converges on the intended privileges and never leaves a moment without them. Passwords come
from the environment and are hashed (SCRAM) before they leave this process, so the cleartext
never reaches the server or its statement log. A role without a password keeps the one it has
(local trust authentication needs none).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from psycopg2.extensions import encrypt_password
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from tsh_db.engine import is_postgres
from tsh_db.queue import REPLAY_INBOX_COLUMNS, REPLAY_QUEUE_COLUMNS
from tsh_db.schema import metadata

log = logging.getLogger(__name__)

READ = ("SELECT",)
READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
# What the consumer order history reads (tsh_consumer_api/orders.py).
ORDER_HISTORY = ("tds_outbox", "customers", "sales_orders", "sales_order_line_items",
                 "invoices", "invoice_line_items")  # fmt: skip
OUTBOX_STATUS_COLUMNS = ("status", "attempts", "deferrals", "next_attempt_at", "updated_at",
                         "error_code", "error_message", "cancelled_at")  # fmt: skip
ELEVATED = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")


@dataclass(frozen=True)
class Role:
    name: str
    password_env: str
    tables: Mapping[str, tuple[str, ...]]
    # Tables whose id sequences the role may draw from (it inserts rows into them).
    sequences_of: tuple[str, ...] = ()
    # TEMPORARY on the database: the pipelines' COPY upserts stage rows in temp tables.
    temporary: bool = False
    description: str = ""


def _update_of(columns: tuple[str, ...]) -> str:
    return f"UPDATE ({', '.join(columns)})"


def roles() -> list[Role]:
    every = [t.name for t in metadata.sorted_tables]
    return [
        Role(
            "tsh_consumer",
            "TSH_CONSUMER_DB_PASSWORD",
            {t: READ for t in ("consumer_catalog", "consumer_catalog_state", *ORDER_HISTORY)},
            description="consumer API: reads the consumer catalogue and order history",
        ),
        Role(
            "tsh_pipelines",
            "TSH_PIPELINES_DB_PASSWORD",
            {t: READ_WRITE for t in every},
            sequences_of=tuple(every),
            temporary=True,
            description="Dagster pipelines: read and write every replica, queue, state, log table",
        ),
        Role(
            "tsh_webhooks",
            "TSH_WEBHOOKS_DB_PASSWORD",
            {
                # UPDATE of the status columns only: enough to replay a dead letter, never
                # enough to rewrite what an event says.
                "tds_inbox_events": ("SELECT", "INSERT", _update_of(REPLAY_INBOX_COLUMNS)),
                "tds_sync_queue": ("SELECT", "INSERT", _update_of(REPLAY_QUEUE_COLUMNS)),
                "tds_sync_runs": READ,
                "data_investigation_reports": READ,
                "zoho_sync_state": READ,
                # orders: appended after validation against the catalogue; cancel and replay
                # change only their status columns
                "tds_outbox": ("SELECT", "INSERT", _update_of(OUTBOX_STATUS_COLUMNS)),
                "products": READ,
                "consumer_catalog": READ,
            },
            sequences_of=("tds_inbox_events", "tds_sync_queue", "tds_outbox"),
            description="webhook receiver: appends to the inbox and queue, replays dead "
            "letters, reads sync status",
        ),
    ]


class RolesError(RuntimeError):
    """Roles could not be set up; the message says why and what to do."""


def passwords_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    return {r.name: env[r.password_env] for r in roles() if env.get(r.password_env)}


def create_roles(engine: Engine, passwords: Mapping[str, str] | None = None) -> list[Role]:
    """Create or update the service roles and their privileges in the engine's database.

    `passwords` maps role name to password; None reads them from the `TSH_*_DB_PASSWORD`
    environment variables. Returns the roles configured.
    """
    if not is_postgres(engine):
        raise RolesError("database roles apply to PostgreSQL only")
    passwords = passwords_from_env() if passwords is None else passwords
    wanted = roles()
    with engine.begin() as conn:
        _require_tables(conn, wanted)
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        for role in wanted:
            _ensure_role(conn, role.name)
            if passwords.get(role.name):
                _set_password(conn, role.name, passwords[role.name])
            _grant_exactly(conn, role, database, schema)
    return wanted


def _require_tables(conn: Connection, wanted: list[Role]) -> None:
    existing = set(inspect(conn).get_table_names())
    missing = sorted({t for r in wanted for t in r.tables} - existing)
    if missing:
        raise RolesError(
            f"tables missing from this database: {', '.join(missing)}; "
            "run `python -m tsh_db upgrade` first"
        )


def _ensure_role(conn: Connection, name: str) -> None:
    found = conn.execute(
        text(f"SELECT {', '.join(ELEVATED)} FROM pg_roles WHERE rolname = :n"), {"n": name}
    ).first()
    if found is None:
        try:
            # A savepoint: another database's create-roles may create it at the same moment.
            with conn.begin_nested():
                conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN")
            log.info("created role %s", name)
        except DBAPIError as exc:
            if getattr(exc.orig, "pgcode", None) != "42710":  # duplicate_object
                raise
    conn.exec_driver_sql(f"ALTER ROLE {name} LOGIN")
    if found is not None and any(found):
        # Someone widened the role by hand; a service role never needs these.
        conn.exec_driver_sql(
            f"ALTER ROLE {name} NOSUPERUSER NOCREATEROLE NOCREATEDB NOREPLICATION NOBYPASSRLS"
        )
        log.warning("role %s had elevated attributes; removed them", name)


def _set_password(conn: Connection, name: str, password: str) -> None:
    dbapi_conn = conn.connection.dbapi_connection
    try:
        # algorithm None: the server's password_encryption decides (scram-sha-256 by default).
        hashed = encrypt_password(password, name, dbapi_conn, None)
        conn.exec_driver_sql(f"ALTER ROLE {name} PASSWORD %(pw)s", {"pw": hashed})
    except DBAPIError as exc:
        # `from None`: the chained error would print the statement's parameters.
        raise RolesError(f"could not set the password of role {name}: {exc.orig}") from None


def _grant_exactly(conn: Connection, role: Role, database: str, schema: str) -> None:
    quote = conn.dialect.identifier_preparer.quote_identifier
    db, sch, name = quote(database), quote(schema), role.name
    statements = [
        f"REVOKE ALL ON DATABASE {db} FROM {name}",
        f"REVOKE ALL ON SCHEMA {sch} FROM {name}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {name}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {name}",
        f"GRANT CONNECT{', TEMPORARY' if role.temporary else ''} ON DATABASE {db} TO {name}",
        f"GRANT USAGE ON SCHEMA {sch} TO {name}",
    ]
    statements += [
        f"GRANT {', '.join(privs)} ON TABLE {sch}.{quote(table)} TO {name}"
        for table, privs in role.tables.items()
    ]
    statements += [
        f"GRANT USAGE ON SEQUENCE {seq} TO {name}" for seq in _sequences(conn, role.sequences_of)
    ]
    for statement in statements:
        conn.exec_driver_sql(statement)
    log.info("role %s: %s in database %s", name, role.description, database)


def _sequences(conn: Connection, tables: tuple[str, ...]) -> list[str]:
    """The (already quoted) sequences behind the tables' autoincrement ids."""
    found = []
    for name in tables:
        column = metadata.tables[name].autoincrement_column
        if column is None:
            continue
        seq = conn.execute(
            text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": name, "c": column.name}
        ).scalar()
        if seq:
            found.append(seq)
    return found
