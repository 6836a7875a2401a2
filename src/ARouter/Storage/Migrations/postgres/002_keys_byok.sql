-- A counter bumped by every key change, so other processes (the CLI, other instances) can drop their key caches.
CREATE TABLE meta (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO meta (name, value) VALUES ('keys_version', 0);

-- Provider keys an account brings (BYOK), AES-GCM encrypted; the plaintext is never stored.
CREATE TABLE provider_keys (
    account_id TEXT   NOT NULL REFERENCES accounts(id),
    provider   TEXT   NOT NULL,
    ciphertext BYTEA  NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, provider)
);

ALTER TABLE transactions ADD COLUMN byok BOOLEAN NOT NULL DEFAULT FALSE;
