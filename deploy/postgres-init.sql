-- First start of the postgres container: a separate database and role for Dagster's own
-- run and event storage, so the replica's roles never see it. The password comes from the
-- container's DAGSTER_PG_PASSWORD (psql runs the backquoted command).
\set dagster_password `echo "$DAGSTER_PG_PASSWORD"`
CREATE ROLE dagster LOGIN PASSWORD :'dagster_password';
CREATE DATABASE dagster OWNER dagster;
