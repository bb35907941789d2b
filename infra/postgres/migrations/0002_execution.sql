-- Execution bookkeeping: what the executor signed and posted, what filled, and why it stopped.

ALTER TABLE order_intents
    ADD COLUMN order_type         text,
    ADD COLUMN order_size         numeric(24, 6),
    ADD COLUMN order_body         text,            -- the exact POST /order bytes (re-sent identically)
    ADD COLUMN expiration         bigint NOT NULL DEFAULT 0,
    ADD COLUMN filled_shares      numeric(24, 6) NOT NULL DEFAULT 0,
    ADD COLUMN filled_usd         numeric(20, 6) NOT NULL DEFAULT 0,
    ADD COLUMN exchange_status    text,
    ADD COLUMN reason_code        text,
    ADD COLUMN reconcile_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN submitted_at       timestamptz,
    ADD COLUMN terminal_at        timestamptz;

CREATE INDEX order_intents_live ON order_intents (state, updated_at)
    WHERE state IN ('SUBMITTING', 'UNKNOWN', 'ACCEPTED', 'LOST');

ALTER TABLE strategy_trades
    ADD COLUMN realized_pnl_usd numeric(20, 6) NOT NULL DEFAULT 0;
CREATE INDEX strategy_trades_strategy_day ON strategy_trades (strategy_id, filled_at);

ALTER TABLE strategy_settings
    ADD COLUMN starting_balance_usd numeric(20, 6);
UPDATE strategy_settings SET starting_balance_usd = balance_usd WHERE starting_balance_usd IS NULL;

-- A strategy's capital at creation is the base its drawdown is measured against.
CREATE FUNCTION strategy_settings_starting_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.starting_balance_usd IS NULL THEN
        NEW.starting_balance_usd := NEW.balance_usd;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER strategy_settings_starting_balance BEFORE INSERT ON strategy_settings
    FOR EACH ROW EXECUTE FUNCTION strategy_settings_starting_balance();
