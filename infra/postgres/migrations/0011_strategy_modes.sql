-- Strategy modes: whether copies pass the OWRR gate, and how they are sized.
--
-- consensus: 'owrr' (the gate, as before) | 'off' (plain copying; every other rule still applies).
-- sizing_mode: 'owrr_scaled' (the mode formerly named 'owrr') | 'fixed' | 'proportional' | 'kelly'.
-- Rows that say 'owrr' stay valid and are read as 'owrr_scaled'; they are not rewritten here, because
-- an UPDATE would have to satisfy the categories check that rows older than 0007 may fail.
ALTER TABLE strategy_settings DROP CONSTRAINT strategy_settings_sizing_mode_check;
ALTER TABLE strategy_settings
    ADD CONSTRAINT strategy_settings_sizing_mode_check
    CHECK (sizing_mode IN ('owrr_scaled', 'owrr', 'fixed', 'proportional', 'kelly'));
ALTER TABLE strategy_settings ALTER COLUMN sizing_mode SET DEFAULT 'owrr_scaled';

ALTER TABLE strategy_settings
    ADD COLUMN consensus text NOT NULL DEFAULT 'owrr' CHECK (consensus IN ('owrr', 'off'));

-- Kelly sizing stakes kelly_fraction x f* of the strategy's cash (0.25 = quarter Kelly).
ALTER TABLE strategy_settings
    ADD COLUMN kelly_fraction numeric(9, 6) NOT NULL DEFAULT 0 CHECK (kelly_fraction BETWEEN 0 AND 1);
ALTER TABLE strategy_settings
    ADD CONSTRAINT strategy_settings_kelly_needs_fraction
    CHECK (sizing_mode <> 'kelly' OR kelly_fraction > 0);
