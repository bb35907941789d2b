-- Money truth: intents that cannot trade end, resting orders hold capital, the books are checked
-- against the exchange, fees are booked, and marks never go blind.

-- FAILED: an intent whose market cannot trade (no order book, closed) ends, with its reason.
ALTER TABLE order_intents DROP CONSTRAINT order_intents_state_check;
ALTER TABLE order_intents ADD CONSTRAINT order_intents_state_check CHECK (state IN (
    'NEW', 'SUBMITTING', 'UNKNOWN', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED',
    'REJECTED', 'CANCELLED', 'EXPIRED', 'LOST', 'FAILED'));

-- A resting entry holds the capital it has not filled yet, like a pending one.
DROP INDEX order_intents_open;
CREATE INDEX order_intents_open ON order_intents (state, created_at)
    WHERE state IN ('NEW', 'SUBMITTING', 'UNKNOWN', 'ACCEPTED');

-- The exchange is the truth: a fill it made is booked even when the strategy's cash would go below
-- zero (the balance check then reports the drift), instead of failing on every reconcile.
ALTER TABLE strategy_settings DROP CONSTRAINT strategy_settings_balance_usd_check;

-- Equity for the loss limits: the highest it has been (drawdown is measured from it) and what it
-- was when the day's first mark was taken (the day's loss, realized and unrealized, from it).
ALTER TABLE strategy_settings
    ADD COLUMN peak_equity_usd       numeric(20, 6),
    ADD COLUMN day_start_equity_usd  numeric(20, 6),
    ADD COLUMN day_started_on        date;

-- Where a position's mark came from: the book's mid, the last trade, the resolution, or nothing.
ALTER TABLE strategy_positions
    ADD COLUMN mark_source  text CHECK (mark_source IN ('book', 'last_trade', 'resolution', 'unpriced')),
    ADD COLUMN marked_at    timestamptz;

-- Each wallet's balances as the exchange reports them, against our books: every check recorded.
-- `asset` is 'COLLATERAL' (pUSD) or a token id; `baseline` is what the wallet held beyond the
-- strategies' books when it was first checked (capital no strategy was given).
CREATE TABLE wallet_balance_checks (
    check_id          bigserial PRIMARY KEY,
    wallet_id         text NOT NULL REFERENCES wallets (wallet_id),
    asset             text NOT NULL,
    exchange_amount   numeric(24, 6) NOT NULL,
    booked_amount     numeric(24, 6) NOT NULL,
    baseline          numeric(24, 6) NOT NULL,
    drift             numeric(24, 6) NOT NULL,
    tolerance         numeric(24, 6) NOT NULL,
    breached          boolean NOT NULL,
    checked_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wallet_balance_checks_wallet ON wallet_balance_checks (wallet_id, checked_at);

CREATE TABLE wallet_balance_baselines (
    wallet_id   text NOT NULL REFERENCES wallets (wallet_id),
    asset       text NOT NULL,
    baseline    numeric(24, 6) NOT NULL,
    set_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wallet_id, asset)
);

-- Where each wallet's read of the exchange's trade records (fees) stopped: match time, seconds.
CREATE TABLE wallet_trade_cursors (
    wallet_id   text PRIMARY KEY REFERENCES wallets (wallet_id),
    after_s     bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
