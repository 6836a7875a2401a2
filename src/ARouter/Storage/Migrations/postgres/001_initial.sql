-- PostgreSQL twin of sqlite/001_initial.sql. Money columns are integer nano-USD (BIGINT); times are
-- Unix milliseconds (BIGINT), as in SQLite, so both stores read and write the same values.
CREATE TABLE accounts (
    id                  TEXT   PRIMARY KEY,
    name                TEXT   NOT NULL,
    -- The database itself refuses a negative balance, whatever any instance computed.
    balance_nanos       BIGINT NOT NULL DEFAULT 0 CHECK (balance_nanos >= 0),
    total_credits_nanos BIGINT NOT NULL DEFAULT 0,
    total_usage_nanos   BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id                          TEXT    PRIMARY KEY,
    account_id                  TEXT    NOT NULL REFERENCES accounts(id),
    name                        TEXT    NOT NULL,
    key_hash                    TEXT    NOT NULL UNIQUE,
    prefix                      TEXT    NOT NULL,
    is_management               BOOLEAN NOT NULL DEFAULT FALSE,
    limit_nanos                 BIGINT  NULL,
    usage_nanos                 BIGINT  NOT NULL DEFAULT 0,
    rate_limit_requests         INTEGER NULL,
    rate_limit_interval_seconds INTEGER NULL,
    disabled                    BOOLEAN NOT NULL DEFAULT FALSE,
    revoked_at                  BIGINT  NULL,
    created_at                  BIGINT  NOT NULL,
    last_used_at                BIGINT  NULL
);
CREATE INDEX ix_api_keys_account ON api_keys(account_id);

CREATE TABLE transactions (
    seq                 BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  TEXT    NOT NULL UNIQUE,
    account_id          TEXT    NOT NULL REFERENCES accounts(id),
    type                TEXT    NOT NULL CHECK (type IN ('credit', 'charge', 'refund')),
    amount_nanos        BIGINT  NOT NULL,
    balance_after_nanos BIGINT  NOT NULL,
    description         TEXT    NULL,
    generation_id       TEXT    NULL,
    key_id              TEXT    NULL,
    model               TEXT    NULL,
    provider            TEXT    NULL,
    prompt_tokens       INTEGER NULL,
    completion_tokens   INTEGER NULL,
    created_at          BIGINT  NOT NULL
);
-- Exactly one charge per generation, whatever retries any instance's writer makes (ON CONFLICT target).
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
    streamed          BOOLEAN NOT NULL,
    status            INTEGER NOT NULL,
    finish_reason     TEXT    NULL,
    error_type        TEXT    NULL,
    prompt_tokens     INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cached_tokens     INTEGER NOT NULL,
    reasoning_tokens  INTEGER NOT NULL,
    usage_counted     BOOLEAN NOT NULL,
    cost_nanos        BIGINT  NOT NULL,
    latency_ms        BIGINT  NOT NULL,
    first_byte_ms     BIGINT  NULL,
    byok              BOOLEAN NOT NULL DEFAULT FALSE,
    created_at        BIGINT  NOT NULL
);
CREATE INDEX ix_generations_account ON generations(account_id, created_at);
