-- Accounts, workspaces and roles. Every dashboard, source, dataset and upload belongs
-- to one workspace (push tokens and share links through their dataset or dashboard).
-- Secrets (session, invitation, reset and API tokens) are stored as SHA-256 hashes.
CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,  -- lower case
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,         -- Argon2id, PHC string
    is_admin       BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL
);

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE members (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE invites (
    token_hash    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);

CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT REFERENCES users (id) ON DELETE CASCADE,  -- NULL: a workspace token
    label         TEXT NOT NULL,
    scope         TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_tokens_by_workspace ON api_tokens (workspace_id);

CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    workspace_id  TEXT,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    detail        TEXT NOT NULL
);
CREATE INDEX audit_log_by_workspace ON audit_log (workspace_id, at);

-- What existed before accounts moves into a first workspace; the first administrator
-- (made by the setup page or `wallboard create-admin`) becomes its owner.
INSERT INTO workspaces (id, name, created_at) VALUES ('main', 'Main', 0);
ALTER TABLE dashboards ADD COLUMN workspace_id TEXT NOT NULL DEFAULT 'main';
ALTER TABLE data_sources ADD COLUMN workspace_id TEXT NOT NULL DEFAULT 'main';
ALTER TABLE datasets ADD COLUMN workspace_id TEXT NOT NULL DEFAULT 'main';
ALTER TABLE uploads ADD COLUMN workspace_id TEXT NOT NULL DEFAULT 'main';
CREATE INDEX dashboards_by_workspace ON dashboards (workspace_id);
CREATE INDEX datasets_by_workspace ON datasets (workspace_id);
