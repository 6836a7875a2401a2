-- No query reads a transaction by its id (ids are 95 random bits after the millisecond), so its unique index was one
-- more B-tree every settle writes and waits for. SQLite's 005 rebuilt the table to drop the same index; PostgreSQL
-- drops it in place. The primary key (seq), the charge's exactly-once index and the account's index stay.
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_id_key;
