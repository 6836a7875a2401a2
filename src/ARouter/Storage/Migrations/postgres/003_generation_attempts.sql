-- The candidates tried before the one that answered (fallback, auto): provider, model, status, latency. JSON, metadata only.
ALTER TABLE generations ADD COLUMN attempts TEXT NULL;
