-- Screens on the wall. A TV that opens /tv gets a device token (a cookie; only its
-- SHA-256 is stored) and a pairing code (`screen_pairings`, 10 minutes); an editor who
-- types the code makes it a screen of their workspace (`screens`). What a screen shows
-- is a dashboard or a playlist (at most one of the two columns; deleting either leaves
-- the screen showing nothing); `revision` moves on every change of it, so open screens
-- find out within one check even if an announcement was missed.
CREATE TABLE playlists (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    document      TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX playlists_workspace ON playlists (workspace_id);

CREATE TABLE screens (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    dashboard_id  TEXT REFERENCES dashboards (id) ON DELETE SET NULL,
    playlist_id   TEXT REFERENCES playlists (id) ON DELETE SET NULL,
    fit           TEXT NOT NULL,
    revision      BIGINT NOT NULL,
    paired_at     BIGINT NOT NULL,
    last_seen_at  BIGINT,
    resolution    TEXT,
    app_version   TEXT
);
CREATE INDEX screens_workspace ON screens (workspace_id);

CREATE TABLE screen_pairings (
    token_hash  TEXT PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    expires_at  BIGINT NOT NULL
);
