-- Pushed data: a cluster-wide sequence number per dataset, the rows of append datasets,
-- and the (hashed) tokens integrators push with.
ALTER TABLE dataset_frames ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;

-- The rows of an append dataset, oldest first by `pos` (the push's seq << 20 | index).
CREATE TABLE dataset_rows (
    dataset_id   TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    pos          BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    row          TEXT NOT NULL,
    PRIMARY KEY (dataset_id, pos)
);
CREATE INDEX dataset_rows_by_age ON dataset_rows (dataset_id, received_at);

CREATE TABLE push_tokens (
    id          TEXT PRIMARY KEY,
    dataset_id  TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX push_tokens_by_dataset ON push_tokens (dataset_id);
