-- The exchange's ids of the trades an order's recorded fill is made of (cumulative, like
-- filled_shares and filled_usd): the next observation of the order books only the trades not
-- listed here, and names its strategy_trades row after them.
ALTER TABLE order_intents
    ADD COLUMN filled_trade_ids text[] NOT NULL DEFAULT '{}';
