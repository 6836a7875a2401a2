-- Every settle's commit writes one page of each B-tree its rows touch, and waits for it. Two of the seven were
-- not needed: AUTOINCREMENT's sqlite_sequence row (seq was never reused: ledger rows are never deleted, so a
-- plain rowid key also counts on from the largest), and the unique index on id (no query looks a row up by id;
-- ids are 95 random bits after the millisecond). SQLite can drop neither in place, so the table is rebuilt,
-- keeping every row and its seq. The charge's exactly-once index and the account's index are as before.
CREATE TABLE transactions_rebuilt (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT    NOT NULL,
    account_id          TEXT    NOT NULL REFERENCES accounts(id),
    type                TEXT    NOT NULL CHECK (type IN ('credit', 'charge', 'refund')),
    amount_nanos        INTEGER NOT NULL,
    balance_after_nanos INTEGER NOT NULL,
    description         TEXT    NULL,
    generation_id       TEXT    NULL,
    key_id              TEXT    NULL,
    model               TEXT    NULL,
    provider            TEXT    NULL,
    prompt_tokens       INTEGER NULL,
    completion_tokens   INTEGER NULL,
    created_at          INTEGER NOT NULL,
    byok                INTEGER NOT NULL DEFAULT 0
);
INSERT INTO transactions_rebuilt (seq, id, account_id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id,
    model, provider, prompt_tokens, completion_tokens, created_at, byok)
SELECT seq, id, account_id, type, amount_nanos, balance_after_nanos, description, generation_id, key_id,
    model, provider, prompt_tokens, completion_tokens, created_at, byok
FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_rebuilt RENAME TO transactions;
CREATE UNIQUE INDEX ux_transactions_one_charge ON transactions(generation_id) WHERE type = 'charge';
CREATE INDEX ix_transactions_account ON transactions(account_id, seq);
