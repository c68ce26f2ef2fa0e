-- Share links grow up: an id to list and revoke them by (their token is shown once and
-- stored hashed from now on), an optional expiry and password, and a view count.
-- Tokens made before this are hashed by the server at start-up (`hashed` = 0 until then).
ALTER TABLE share_links ADD COLUMN id TEXT;
ALTER TABLE share_links ADD COLUMN hashed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE share_links ADD COLUMN expires_at BIGINT;
ALTER TABLE share_links ADD COLUMN password_hash TEXT;
ALTER TABLE share_links ADD COLUMN views BIGINT NOT NULL DEFAULT 0;
ALTER TABLE share_links ADD COLUMN last_view_at BIGINT;
