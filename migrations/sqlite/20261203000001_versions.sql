-- Drafts and published versions. `dashboards.document` is the draft the editor works
-- on; every publish copies it into `dashboard_versions` and points
-- `published_version` at the copy. Screens show the published version, or the draft
-- while a dashboard was never published (`published_version` NULL).
ALTER TABLE dashboards ADD COLUMN published_version BIGINT;

CREATE TABLE dashboard_versions (
    dashboard_id  TEXT NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    name          TEXT NOT NULL,
    document      TEXT NOT NULL,
    widgets       BIGINT NOT NULL,
    published_at  BIGINT NOT NULL,
    published_by  TEXT NOT NULL,          -- the actor, as the audit log names it
    PRIMARY KEY (dashboard_id, version)
);
