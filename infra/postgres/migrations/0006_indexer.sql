-- The indexer's bookkeeping: where each stream stopped (a crash or timeout resumes there and never
-- re-downloads history), what each run did, and the public-API rows it refused.

CREATE TABLE indexer_checkpoints (
    stream      text NOT NULL,             -- trades | positions | holders | metrics | markets
    key         text NOT NULL,             -- a wallet, a condition id, or '' for a global stream
    watermark   timestamptz,               -- newest item fully indexed
    cursor      text,                      -- a paged walk in progress: where its next page starts
    refreshed_at timestamptz,              -- when the item was last fully refreshed
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (stream, key)
);

CREATE TABLE indexer_runs (
    run_id       text PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    status       text NOT NULL,
    summary      jsonb
);
CREATE INDEX indexer_runs_started ON indexer_runs (started_at);

CREATE TABLE public_data_rejects (
    source      text NOT NULL,             -- e.g. data_api.trades, gamma.markets
    key         text NOT NULL,
    reason      text NOT NULL,
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    times_seen  integer NOT NULL DEFAULT 1,
    PRIMARY KEY (source, key)
);
