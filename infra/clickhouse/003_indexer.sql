-- What the indexer (functions/indexer) keeps fresh from Polymarket's public APIs. Idempotent,
-- applied by `omegacopy db clickhouse-init`. An external indexer may fill the same tables instead.

-- The markets dimension, complete: every outcome with its name and token (by index; outcome 0 is
-- the YES side, outcome 1 the NO side of the monitor and OWRR), tick size, and the resolution.
ALTER TABLE markets ADD COLUMN IF NOT EXISTS outcome_names Array(String) DEFAULT [];
ALTER TABLE markets ADD COLUMN IF NOT EXISTS token_ids Array(String) DEFAULT [];
ALTER TABLE markets ADD COLUMN IF NOT EXISTS tick_size Nullable(Float64);
ALTER TABLE markets ADD COLUMN IF NOT EXISTS slug String DEFAULT '';
ALTER TABLE markets ADD COLUMN IF NOT EXISTS end_date Nullable(DateTime64(3, 'UTC'));
ALTER TABLE markets ADD COLUMN IF NOT EXISTS resolved UInt8 DEFAULT 0;
ALTER TABLE markets ADD COLUMN IF NOT EXISTS payouts Array(Float64) DEFAULT [];
ALTER TABLE markets ADD COLUMN IF NOT EXISTS resolved_at Nullable(DateTime64(3, 'UTC'));

-- Leader trades: the outcome as the market names it, its index, and the transaction.
ALTER TABLE trades_raw ADD COLUMN IF NOT EXISTS outcome String DEFAULT '';
ALTER TABLE trades_raw ADD COLUMN IF NOT EXISTS outcome_index Int16 DEFAULT -1;
ALTER TABLE trades_raw ADD COLUMN IF NOT EXISTS tx_hash String DEFAULT '';

-- OWRR's inputs: each outcome token's largest holders with their entry prices. Each refresh of a
-- market writes all its rows with one snapshot_at; readers take the market's newest snapshot.
CREATE TABLE IF NOT EXISTS market_holders
(
    condition_id    String,
    token_id        String,
    outcome_index   UInt8,
    side            LowCardinality(String),   -- 'YES' (outcome 0) | 'NO' (outcome 1)
    wallet_address  String,
    shares          Float64,
    avg_price       Nullable(Float64),
    snapshot_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(snapshot_at)
ORDER BY (condition_id, snapshot_at, token_id, wallet_address)
TTL toDateTime(snapshot_at) + INTERVAL 7 DAY;

-- Wallets' positions (Data API), the inputs of our own omega. One row per (wallet, token); the
-- newest fetch wins.
CREATE TABLE IF NOT EXISTS wallet_positions
(
    wallet_address  String,
    condition_id    String,
    token_id        String,
    outcome_index   Int16,
    status          LowCardinality(String),
    size            Float64,
    avg_price       Float64,
    total_bought    Float64,
    realized_pnl    Float64,
    unrealized_pnl  Float64,
    fees            Float64,
    last_event_at   Nullable(DateTime64(3, 'UTC')),
    fetched_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(fetched_at)
ORDER BY (wallet_address, token_id);

-- Our own metrics: the gains and losses behind omega, counts, last activity.
ALTER TABLE wallet_metrics_by_category ADD COLUMN IF NOT EXISTS gains_usd Float64 DEFAULT 0;
ALTER TABLE wallet_metrics_by_category ADD COLUMN IF NOT EXISTS losses_usd Float64 DEFAULT 0;
ALTER TABLE wallet_metrics_by_category ADD COLUMN IF NOT EXISTS wins UInt32 DEFAULT 0;
ALTER TABLE wallet_metrics_by_category ADD COLUMN IF NOT EXISTS losing_bets UInt32 DEFAULT 0;
ALTER TABLE wallet_metrics_by_category ADD COLUMN IF NOT EXISTS last_active Nullable(DateTime64(3, 'UTC'));
