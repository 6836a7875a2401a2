-- People who sign in to the dashboard: one login per account for now. Only a password hash is kept
-- (ASP.NET Core Identity's PBKDF2 format); email_normalized is what sign-in looks up.
CREATE TABLE logins (
    id               TEXT    PRIMARY KEY,
    account_id       TEXT    NOT NULL UNIQUE REFERENCES accounts(id),
    email            TEXT    NOT NULL,
    email_normalized TEXT    NOT NULL UNIQUE,
    password_hash    TEXT    NOT NULL,
    is_admin         INTEGER NOT NULL DEFAULT 0,
    -- Changes whenever the password does, so sessions signed in with the old one end.
    security_stamp   TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    last_sign_in_at  INTEGER NULL
);
-- The dashboard's activity filters and its accounts page.
CREATE INDEX ix_generations_account_model ON generations(account_id, model, created_at);
