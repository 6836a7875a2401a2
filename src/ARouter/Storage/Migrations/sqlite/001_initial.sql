-- Money columns are integer nano-USD. Times are Unix milliseconds.
CREATE TABLE accounts (
    id                  TEXT    PRIMARY KEY,
    name                TEXT    NOT NULL,
    balance_nanos       INTEGER NOT NULL DEFAULT 0 CHECK (balance_nanos >= 0),
    total_credits_nanos INTEGER NOT NULL DEFAULT 0,
    total_usage_nanos   INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id                          TEXT    PRIMARY KEY,
    account_id                  TEXT    NOT NULL REFERENCES accounts(id),
    name                        TEXT    NOT NULL,
    key_hash                    TEXT    NOT NULL UNIQUE,
    prefix                      TEXT    NOT NULL,
    is_management               INTEGER NOT NULL DEFAULT 0,
    limit_nanos                 INTEGER NULL,
    usage_nanos                 INTEGER NOT NULL DEFAULT 0,
    rate_limit_requests         INTEGER NULL,
    rate_limit_interval_seconds INTEGER NULL,
    disabled                    INTEGER NOT NULL DEFAULT 0,
    revoked_at                  INTEGER NULL,
    created_at                  INTEGER NOT NULL,
    last_used_at                INTEGER NULL
);
CREATE INDEX ix_api_keys_account ON api_keys(account_id);

CREATE TABLE transactions (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT    NOT NULL UNIQUE,
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
    created_at          INTEGER NOT NULL
);
-- Exactly one charge per generation, whatever retries the writer makes.
CREATE UNIQUE INDEX ux_transactions_one_charge ON transactions(generation_id) WHERE type = 'charge';
CREATE INDEX ix_transactions_account ON transactions(account_id, seq);

CREATE TABLE generations (
    id                TEXT    PRIMARY KEY,
    account_id        TEXT    NOT NULL,
    key_id            TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    provider          TEXT    NOT NULL,
    upstream_model    TEXT    NOT NULL,
    endpoint          TEXT    NOT NULL,
    streamed          INTEGER NOT NULL,
    status            INTEGER NOT NULL,
    finish_reason     TEXT    NULL,
    error_type        TEXT    NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    usage_counted     INTEGER NOT NULL,
    cost_nanos        INTEGER NOT NULL,
    latency_ms        INTEGER NOT NULL,
    first_byte_ms     INTEGER NULL,
    byok              INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL
);
CREATE INDEX ix_generations_account ON generations(account_id, created_at);
