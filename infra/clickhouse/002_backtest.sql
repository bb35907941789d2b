-- Optional history for `omegacopy backtest`. Idempotent, applied by `omegacopy db clickhouse-init`.
-- Both tables may stay empty: without a book the fill model fills at the leader's price plus a
-- slippage; without resolutions open positions are marked at their last traded price.

-- Order-book snapshots: one row per price level; the rows of one (token_id, ts) are one snapshot.
CREATE TABLE IF NOT EXISTS book_snapshots
(
    token_id  String,                    -- outcome token id, decimal string
    ts        DateTime64(3, 'UTC'),      -- when the snapshot was taken
    side      LowCardinality(String),    -- 'BID' | 'ASK'
    price     Float64,
    size      Float64                    -- shares resting at that price
)
ENGINE = ReplacingMergeTree
ORDER BY (token_id, ts, side, price);

-- How markets resolved: each share of the winning token pays $1, every other token of the market $0.
CREATE TABLE IF NOT EXISTS market_resolutions
(
    condition_id      String,
    winning_token_id  String,
    resolved_at       DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY condition_id;
