-- OmegaCopy schema, version 1. Applied by `omegacopy db migrate`, never at cold start.
-- Money: numeric (Decimal in Python). Token ids: text. Addresses: lower-case hex text.

CREATE TABLE wallets (
    wallet_id         text PRIMARY KEY,
    address           text NOT NULL UNIQUE,          -- the EOA that signs (POLY_ADDRESS)
    funder            text NOT NULL,                 -- the maker that holds funds
    signature_type    smallint NOT NULL CHECK (signature_type BETWEEN 0 AND 3),
    -- KMS envelope: AES-256-GCM ciphertext of the key, the KMS-wrapped data key, the nonce.
    kms_key_id        text,
    wrapped_data_key  bytea,
    key_nonce         bytea,
    key_ciphertext    bytea,
    credentials_ref   text,                          -- Secrets Manager / SSM name of CLOB API credentials
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE strategies (
    strategy_id           text PRIMARY KEY,
    name                  text NOT NULL,
    wallet_id             text NOT NULL REFERENCES wallets (wallet_id),
    auto_execute_enabled  boolean NOT NULL DEFAULT false,
    paused_reason         text,
    created_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE strategy_settings (
    strategy_id             text PRIMARY KEY REFERENCES strategies (strategy_id) ON DELETE CASCADE,
    balance_usd             numeric(20, 6) NOT NULL CHECK (balance_usd >= 0),
    max_position_size_usd   numeric(20, 6) NOT NULL CHECK (max_position_size_usd > 0),
    max_positions           integer NOT NULL CHECK (max_positions >= 0),
    risk_per_trade_percent  numeric(9, 4) NOT NULL CHECK (risk_per_trade_percent BETWEEN 0 AND 100),
    owrr_threshold_yes      integer NOT NULL DEFAULT 60 CHECK (owrr_threshold_yes BETWEEN 0 AND 100),
    owrr_threshold_no       integer NOT NULL DEFAULT 40 CHECK (owrr_threshold_no BETWEEN 0 AND 100),
    min_owrr_confidence     text NOT NULL DEFAULT 'medium'
                            CHECK (min_owrr_confidence IN ('insufficient_data', 'low', 'medium', 'high')),
    categories              text[] NOT NULL DEFAULT '{}',
    markets_filter          text[] NOT NULL DEFAULT '{}',
    sizing_mode             text NOT NULL DEFAULT 'owrr' CHECK (sizing_mode IN ('owrr', 'fixed', 'proportional')),
    fixed_size_usd          numeric(20, 6) NOT NULL DEFAULT 0,
    proportional_fraction   numeric(9, 6) NOT NULL DEFAULT 0,
    slippage_ceiling        numeric(9, 6) NOT NULL DEFAULT 0.02 CHECK (slippage_ceiling >= 0 AND slippage_ceiling < 1),
    order_style             text NOT NULL DEFAULT 'FAK' CHECK (order_style IN ('FAK', 'FOK', 'GTC', 'GTD')),
    daily_loss_limit_usd    numeric(20, 6),
    updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE strategy_watchlist_items (
    strategy_id     text NOT NULL REFERENCES strategies (strategy_id) ON DELETE CASCADE,
    wallet_address  text NOT NULL CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
    status          text NOT NULL DEFAULT 'WATCHING' CHECK (status IN ('WATCHING', 'PAUSED', 'REMOVED')),
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (strategy_id, wallet_address)
);
CREATE INDEX strategy_watchlist_items_watching ON strategy_watchlist_items (wallet_address)
    WHERE status = 'WATCHING';

-- Where the monitor has read up to, per trade source. The next tick reads from
-- watermark - overlap, so late rows are seen; monitor_seen_trades makes that re-read a no-op.
CREATE TABLE monitor_cursor (
    source      text PRIMARY KEY,
    watermark   timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE monitor_seen_trades (
    source     text NOT NULL,
    trade_id   text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, trade_id)
);
CREATE INDEX monitor_seen_trades_seen_at ON monitor_seen_trades (seen_at);

CREATE TABLE monitor_ticks (
    tick_id          text PRIMARY KEY,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    status           text NOT NULL,
    trades_seen      integer NOT NULL DEFAULT 0,
    signals_written  integer NOT NULL DEFAULT 0,
    intents_created  integer NOT NULL DEFAULT 0,
    intents_queued   integer NOT NULL DEFAULT 0,
    detail           jsonb
);

CREATE TABLE order_intents (
    intent_id           uuid PRIMARY KEY,                 -- deterministic: hash(strategy, source trade)
    parent_intent_id    uuid REFERENCES order_intents (intent_id),
    strategy_id         text NOT NULL REFERENCES strategies (strategy_id),
    wallet_id           text NOT NULL REFERENCES wallets (wallet_id),
    source_trade_id     text NOT NULL,
    correlation_id      text NOT NULL,
    action              text NOT NULL CHECK (action IN ('BUY', 'SELL')),
    is_exit             boolean NOT NULL DEFAULT false,
    token_id            text NOT NULL,
    condition_id        text NOT NULL,
    neg_risk            boolean NOT NULL DEFAULT false,
    usd_amount          numeric(20, 6),
    shares              numeric(24, 6),
    leader_price        numeric(10, 6) NOT NULL,
    worst_price         numeric(10, 6) NOT NULL,
    order_style         text NOT NULL,
    state               text NOT NULL DEFAULT 'NEW' CHECK (state IN (
                            'NEW', 'SUBMITTING', 'UNKNOWN', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED',
                            'REJECTED', 'CANCELLED', 'EXPIRED', 'LOST')),
    send_count          integer NOT NULL DEFAULT 0,       -- SQS sends (outbox)
    last_sent_at        timestamptz,
    order_timestamp_ms  bigint,
    salt                bigint,
    signed_order        jsonb,
    order_hash          text UNIQUE,
    attempts            integer NOT NULL DEFAULT 0,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((usd_amount IS NOT NULL) OR (shares IS NOT NULL))
);
CREATE UNIQUE INDEX order_intents_one_per_source ON order_intents (strategy_id, source_trade_id)
    WHERE parent_intent_id IS NULL;
CREATE INDEX order_intents_open ON order_intents (state, created_at)
    WHERE state IN ('NEW', 'SUBMITTING', 'UNKNOWN');

CREATE TABLE wallet_monitor_signals (
    signal_id         bigserial PRIMARY KEY,
    strategy_id       text NOT NULL REFERENCES strategies (strategy_id),
    source_trade_id   text NOT NULL,
    leader_wallet     text NOT NULL,
    condition_id      text,
    token_id          text,
    outcome           text,
    action            text,
    leader_price      numeric(20, 6),
    leader_shares     numeric(24, 6),
    leader_usd        numeric(24, 6),
    traded_at         timestamptz,
    decision          text NOT NULL CHECK (decision IN ('COPY', 'SKIP')),
    reason_code       text NOT NULL,
    reason            text NOT NULL,
    owrr              double precision,
    slider            integer,
    confidence        text,
    intent_id         uuid REFERENCES order_intents (intent_id),
    execution_status  text,
    correlation_id    text NOT NULL,
    tick_id           text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (strategy_id, source_trade_id)
);
CREATE INDEX wallet_monitor_signals_created ON wallet_monitor_signals (created_at);

-- Orders and fills as the exchange reports them.
CREATE TABLE strategy_trades (
    trade_row_id     bigserial PRIMARY KEY,
    strategy_id      text NOT NULL REFERENCES strategies (strategy_id),
    intent_id        uuid NOT NULL REFERENCES order_intents (intent_id),
    order_hash       text NOT NULL,
    exchange_trade_id text,
    token_id         text NOT NULL,
    side             text NOT NULL CHECK (side IN ('BUY', 'SELL')),
    price            numeric(10, 6) NOT NULL,
    shares           numeric(24, 6) NOT NULL,
    usd_value        numeric(20, 6) NOT NULL,
    fee_usd          numeric(20, 6) NOT NULL DEFAULT 0,
    filled_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_hash, exchange_trade_id)
);

CREATE TABLE strategy_positions (
    strategy_id       text NOT NULL REFERENCES strategies (strategy_id),
    token_id          text NOT NULL,
    condition_id      text NOT NULL,
    shares            numeric(24, 6) NOT NULL DEFAULT 0,
    avg_entry_price   numeric(10, 6) NOT NULL DEFAULT 0,
    cost_usd          numeric(20, 6) NOT NULL DEFAULT 0,
    realized_pnl_usd  numeric(20, 6) NOT NULL DEFAULT 0,
    mark_price        numeric(10, 6),
    opened_at         timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (strategy_id, token_id)
);

-- OWRR results shared across Lambda containers: a TTL cache with stale fallback.
CREATE TABLE owrr_snapshots (
    condition_id  text NOT NULL,
    category      text NOT NULL,
    result        jsonb NOT NULL,
    computed_at   timestamptz NOT NULL,
    PRIMARY KEY (condition_id, category)
);
