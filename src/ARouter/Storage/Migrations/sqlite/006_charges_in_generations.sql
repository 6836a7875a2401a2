-- A charge was two rows: its transaction row (three B-trees) and its generation record (four), seven B-trees per
-- request; the record was even left out of the charge's commit to keep that commit small. A charge is now its
-- generation record with the charge's transaction id and the balance it left: one row, four B-trees, in the
-- commit the caller waits for. The generation's primary key is the exactly-once rule; `transactions` keeps the
-- credits, and the transactions list reads charges from `generations`.
ALTER TABLE generations ADD COLUMN transaction_id TEXT NULL;
ALTER TABLE generations ADD COLUMN balance_after_nanos INTEGER NULL;

-- A charge whose record was lost (a crash before the deferred write) gets one from what the charge row kept.
INSERT INTO generations (id, account_id, key_id, model, provider, upstream_model, endpoint, streamed, status,
    prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, usage_counted, cost_nanos, latency_ms, byok, created_at)
SELECT t.generation_id, t.account_id, COALESCE(t.key_id, ''), COALESCE(t.model, ''), COALESCE(t.provider, ''), COALESCE(t.model, ''),
    'unknown', 0, 200, COALESCE(t.prompt_tokens, 0), COALESCE(t.completion_tokens, 0), 0, 0, 0, -t.amount_nanos, 0, t.byok, t.created_at
FROM transactions t
WHERE t.type = 'charge' AND t.generation_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM generations g WHERE g.id = t.generation_id);

UPDATE generations SET transaction_id = t.id, balance_after_nanos = t.balance_after_nanos, cost_nanos = -t.amount_nanos
FROM transactions t
WHERE t.type = 'charge' AND t.generation_id = generations.id;

DELETE FROM transactions WHERE type = 'charge' AND generation_id IS NOT NULL;
DROP INDEX ux_transactions_one_charge;
