-- Uploaded spreadsheets: kept in the database so every instance can read them.
CREATE TABLE uploads (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    content     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);
