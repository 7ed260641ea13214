"""The Zoho webhook receiver and ops API: verifies, dedupes, writes the inbox and queue."""
