-- ClickHouse contract with whoever indexes Polymarket. Idempotent, applied by
-- `omegacopy db clickhouse-init`. Column names of wallet_metrics_by_category are the original
-- analytics product's, which OWRR reads.

CREATE TABLE IF NOT EXISTS trades_raw
(
    trade_id        String,
    wallet_address  String,
    market_id       String,                    -- condition id
    token_id        String,                    -- outcome token id, decimal string
    side            LowCardinality(String),    -- outcome: 'YES' | 'NO'
    action          LowCardinality(String),    -- 'BUY' | 'SELL'
    shares          Float64,
    entry_price     Float64,
    usd_value       Float64,
    is_closed       UInt8 DEFAULT 0,
    block_time      DateTime64(3, 'UTC'),
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    -- the monitor reads "recent rows of these wallets": this projection serves it, while the
    -- table's own order serves OWRR's per-market aggregation.
    PROJECTION by_ingest (SELECT * ORDER BY ingested_at, wallet_address)
)
ENGINE = ReplacingMergeTree(ingested_at)
ORDER BY (market_id, wallet_address, trade_id)
SETTINGS deduplicate_merge_projection_mode = 'rebuild';

CREATE TABLE IF NOT EXISTS wallet_metrics_by_category
(
    wallet_address           String,
    category                 LowCardinality(String),
    `window`                 LowCardinality(String),   -- OWRR reads 'lifetime'
    metric_2_omega_net       Nullable(Float64),
    metric_22_resolved_bets  Nullable(UInt32),
    updated_at               DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (wallet_address, category, `window`);

CREATE TABLE IF NOT EXISTS markets
(
    condition_id  String,
    category      LowCardinality(String),
    question      String DEFAULT '',
    yes_token_id  String,
    no_token_id   String,
    neg_risk      UInt8 DEFAULT 0,
    closed        UInt8 DEFAULT 0,
    updated_at    DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY condition_id;
