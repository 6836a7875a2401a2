-- PostgreSQL twin of sqlite/004_dashboard_logins.sql: dashboard logins, one per account for now.
CREATE TABLE logins (
    id               TEXT    PRIMARY KEY,
    account_id       TEXT    NOT NULL UNIQUE REFERENCES accounts(id),
    email            TEXT    NOT NULL,
    email_normalized TEXT    NOT NULL UNIQUE,
    password_hash    TEXT    NOT NULL,
    is_admin         BOOLEAN NOT NULL DEFAULT FALSE,
    -- Changes whenever the password does, so sessions signed in with the old one end.
    security_stamp   TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    last_sign_in_at  BIGINT  NULL
);
CREATE INDEX ix_generations_account_model ON generations(account_id, model, created_at);
