"""Providers behind one small interface: send with an idempotency key, query for reconciliation, receipts."""
