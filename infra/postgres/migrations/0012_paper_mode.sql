-- Paper trading on live data: a strategy in mode 'paper' runs the whole pipeline, and its intents
-- are filled against the live order book by the fill model instead of being signed and posted.
--
-- Existing strategies keep trading as they did ('live'); new ones are created in 'paper' by the
-- CLI and strategies.yaml unless they say otherwise.
ALTER TABLE strategy_settings
    ADD COLUMN mode text NOT NULL DEFAULT 'live' CHECK (mode IN ('paper', 'live'));

-- The mode an intent was decided in travels with it, and with everything it books.
ALTER TABLE order_intents ADD COLUMN paper boolean NOT NULL DEFAULT false;
-- a paper intent is never signed: no order hash, no signed bytes
ALTER TABLE order_intents
    ADD CONSTRAINT order_intents_paper_never_signed CHECK (NOT paper OR (order_hash IS NULL AND signed_order IS NULL));
ALTER TABLE strategy_trades ADD COLUMN paper boolean NOT NULL DEFAULT false;
-- a position row holds paper shares or real ones, never both (the executor refuses to mix them)
ALTER TABLE strategy_positions ADD COLUMN paper boolean NOT NULL DEFAULT false;
-- a paper position settles in the books like a live one, and is never redeemed on chain
ALTER TABLE position_settlements ADD COLUMN paper boolean NOT NULL DEFAULT false;
