"""Replication logic, free of Dagster: assets and event handlers call into it."""
