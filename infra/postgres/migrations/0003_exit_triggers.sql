-- Stop-loss and take-profit per strategy, as percentages of a position's average entry price.
-- NULL: off. Mark-to-market turns a breach into an exit intent (sell everything, marketable).
ALTER TABLE strategy_settings
    ADD COLUMN stop_loss_pct   numeric(9, 4) CHECK (stop_loss_pct > 0 AND stop_loss_pct < 100),
    ADD COLUMN take_profit_pct numeric(9, 4) CHECK (take_profit_pct > 0);
