-- Share links of playlists: `/s/{token}` opens a playlist as it opens a dashboard.
-- Only the token's SHA-256 is stored; a revoked link keeps its row (`revoked_at`).
CREATE TABLE playlist_share_links (
    id            TEXT PRIMARY KEY,
    playlist_id   TEXT NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    token         TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT,
    views         BIGINT NOT NULL DEFAULT 0,
    last_view_at  BIGINT
);
CREATE INDEX playlist_share_links_playlist ON playlist_share_links (playlist_id);
