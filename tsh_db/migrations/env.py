"""Alembic environment: runs against the connection tsh_db.migrate hands over."""

from alembic import context

from tsh_db.schema import applies_to, metadata

connection = context.config.attributes["connection"]


def include_object(obj, _name, _type, reflected, _compare_to):  # type: ignore[no-untyped-def]
    return reflected or applies_to(obj, connection.dialect.name)


context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True,
    include_object=include_object,
)  # fmt: skip
with context.begin_transaction():
    context.run_migrations()
