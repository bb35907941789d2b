-- Strategies without SQL traps (`omegacopy strategy`, `omegacopy leader`, `omegacopy apply`).

-- `categories: all` tracks every category. An empty list used to mean "copy nothing" without a
-- word; from now on a strategy names its categories or says `all`. NOT VALID: rows written before
-- this migration are not rejected here (the monitor skips them, loudly), but any insert or update
-- must satisfy it.
ALTER TABLE strategy_settings
    ADD COLUMN all_categories boolean NOT NULL DEFAULT false;
ALTER TABLE strategy_settings
    ADD CONSTRAINT strategy_settings_categories_required
    CHECK (all_categories OR cardinality(categories) > 0) NOT VALID;

-- Leader addresses pasted in any case (EIP-55 checksummed from Polymarket) are stored lower-case,
-- so the lower-case CHECK no longer refuses them and a wallet is one row whatever its spelling.
CREATE FUNCTION strategy_watchlist_lower_address() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.wallet_address := lower(btrim(NEW.wallet_address));
    RETURN NEW;
END $$;
CREATE TRIGGER strategy_watchlist_lower_address BEFORE INSERT OR UPDATE OF wallet_address
    ON strategy_watchlist_items FOR EACH ROW EXECUTE FUNCTION strategy_watchlist_lower_address();
