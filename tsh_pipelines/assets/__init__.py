"""Replication assets, one per registry entity (documents partitioned by month)."""
