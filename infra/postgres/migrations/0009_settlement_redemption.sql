-- Resolved markets: every position settled once at its payout, and one on-chain redemption per
-- (wallet, condition) with its own state machine (domain/redemption.py).

-- One row per settled position. Settling moves the position's shares to 0 under its row lock, so
-- the same shares are never paid twice; shares that appear later (a late fill) add to this row.
CREATE TABLE position_settlements (
    strategy_id       text NOT NULL REFERENCES strategies (strategy_id),
    token_id          text NOT NULL,
    condition_id      text NOT NULL,
    wallet_id         text NOT NULL REFERENCES wallets (wallet_id),
    shares            numeric(24, 6) NOT NULL CHECK (shares > 0),
    payout            numeric(30, 28) NOT NULL CHECK (payout >= 0 AND payout <= 1),
    proceeds_usd      numeric(20, 6) NOT NULL CHECK (proceeds_usd >= 0),
    realized_pnl_usd  numeric(20, 6) NOT NULL,
    source            text NOT NULL CHECK (source IN ('markets', 'chain')),
    settled_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (strategy_id, token_id)
);
CREATE INDEX position_settlements_condition ON position_settlements (condition_id);

CREATE TABLE redemptions (
    wallet_id         text NOT NULL REFERENCES wallets (wallet_id),
    condition_id      text NOT NULL CHECK (condition_id ~ '^0x[0-9a-f]{64}$'),
    state             text NOT NULL DEFAULT 'NEW' CHECK (state IN (
                          'NEW', 'SUBMITTED', 'CONFIRMED', 'FAILED', 'NOT_NEEDED', 'BLOCKED')),
    neg_risk          boolean NOT NULL DEFAULT false,
    token_ids         text[] NOT NULL,                  -- by outcome index
    expected_usd      numeric(20, 6) NOT NULL DEFAULT 0, -- what the books credited for this wallet
    route             text CHECK (route IN ('ctf', 'neg_risk')),
    target            text,                             -- the contract called
    collateral        text,                             -- the ERC20 the positions pay out in
    sender            text,                             -- the EOA that signed
    nonce             bigint,
    tx_hash           text UNIQUE,
    raw_tx            bytea,                            -- the signed bytes: every broadcast re-sends them
    gas_limit         bigint,
    max_fee_per_gas   numeric(40, 0),
    broadcasts        integer NOT NULL DEFAULT 0,
    attempts          integer NOT NULL DEFAULT 0,       -- ticks that tried and had to wait
    payout_units      numeric(40, 0),                   -- collateral paid, from the receipt's PayoutRedemption
    block_number      bigint,
    gas_used          bigint,
    reason_code       text,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    submitted_at      timestamptz,
    terminal_at       timestamptz,
    PRIMARY KEY (wallet_id, condition_id),
    -- the signed bytes and their hash are committed together, before any broadcast
    CHECK (state NOT IN ('SUBMITTED', 'CONFIRMED') OR (raw_tx IS NOT NULL AND tx_hash IS NOT NULL AND nonce IS NOT NULL))
);
CREATE INDEX redemptions_open ON redemptions (state, updated_at)
    WHERE state IN ('NEW', 'SUBMITTED', 'BLOCKED');
-- one signed transaction per (sender, nonce): two redemptions never share a nonce
CREATE UNIQUE INDEX redemptions_sender_nonce ON redemptions (sender, nonce) WHERE nonce IS NOT NULL;
