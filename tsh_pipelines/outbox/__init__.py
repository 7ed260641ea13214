"""The orders outbox: orders and POS sales pushed to Zoho exactly once (`tds_outbox`)."""
