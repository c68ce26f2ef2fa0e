-- Wallboard's initial schema (PostgreSQL). Times are Unix milliseconds; documents are JSON text.
CREATE TABLE dashboards (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    document    TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE data_sources (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE datasets (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    source_id   TEXT NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
    config      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE dataset_frames (
    dataset_id  TEXT PRIMARY KEY REFERENCES datasets (id) ON DELETE CASCADE,
    frame       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE share_links (
    token        TEXT PRIMARY KEY,
    dashboard_id TEXT NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX share_links_by_dashboard ON share_links (dashboard_id);

CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
