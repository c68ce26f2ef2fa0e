//! Paired screens, their pairing codes and playlists. Device tokens are stored as
//! their SHA-256 only; what a screen shows is one of two columns (`dashboard_id`,
//! `playlist_id`), read back as a [`Shows`].

use super::{corrupt, parse_id, Pool, Result, Storage};
use app::api::{PlaylistSummary, ScreenSummary};
use app::model::{Fit, Playlist, PlaylistId, ScreenId, Shows, WorkspaceId};

/// A screen counts as online while it was heard from this recently (an open screen's
/// stream reports every `SCREEN_TOUCH_MS`).
pub const ONLINE_MS: i64 = 90 * 1000;

/// See [`Storage::screen_state`].
pub type ScreenState = (i64, Option<String>, Option<String>, i64);

/// A paired screen as its device token finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScreenRow {
    pub id: ScreenId,
    pub workspace: WorkspaceId,
    pub name: String,
    pub shows: Shows,
    pub fit: Fit,
    pub revision: i64,
}

type SummaryRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn summary(row: SummaryRow, now: i64) -> Result<ScreenSummary> {
    let (id, name, dashboard, playlist, fit, paired_at_ms, last_seen_ms, resolution, app_version) =
        row;
    Ok(ScreenSummary {
        shows: decode_shows(&id, dashboard, playlist)?,
        fit: Fit::parse(&fit).unwrap_or_default(),
        id: parse_id(&id, "screen", ScreenId::parse)?,
        name,
        paired_at_ms,
        online: last_seen_ms.is_some_and(|t| now - t < ONLINE_MS),
        last_seen_ms,
        resolution,
        app_version,
    })
}

fn decode_shows(id: &str, dashboard: Option<String>, playlist: Option<String>) -> Result<Shows> {
    Ok(match (dashboard, playlist) {
        (Some(d), _) => Shows::Dashboard(
            app::model::DashboardId::parse(d).map_err(|e| corrupt("screen", id, e))?,
        ),
        (None, Some(p)) => {
            Shows::Playlist(PlaylistId::parse(p).map_err(|e| corrupt("screen", id, e))?)
        }
        (None, None) => Shows::Nothing,
    })
}

/// The `dashboard_id` and `playlist_id` columns of `shows`.
fn encode_shows(shows: &Shows) -> (Option<&str>, Option<&str>) {
    match shows {
        Shows::Nothing => (None, None),
        Shows::Dashboard(d) => (Some(d.as_str()), None),
        Shows::Playlist(p) => (None, Some(p.as_str())),
    }
}

impl Storage {
    /// The unexpired pairing code of device `token_hash`, and when it expires.
    pub async fn pairing_code(&self, token_hash: &str) -> Result<Option<(String, i64)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT code, expires_at FROM screen_pairings
                 WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_optional(p)
            .await
        })?)
    }

    /// How many devices wait to be paired (expired codes not counted).
    pub async fn pending_pairings(&self) -> Result<i64> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM screen_pairings WHERE expires_at > $1",
            )
            .bind(crate::now_ms())
            .fetch_one(p)
            .await
        })?)
    }

    /// Gives device `token_hash` code `code` until `expires_at_ms` (replacing its
    /// previous code) and drops expired codes. `false` if another device holds the
    /// code (pick another).
    pub async fn start_pairing(
        &self,
        token_hash: &str,
        code: &str,
        expires_at_ms: i64,
    ) -> Result<bool> {
        let now = crate::now_ms();
        let done = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query(
                    "DELETE FROM screen_pairings WHERE token_hash = $1 OR expires_at <= $2",
                )
                .bind(token_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let inserted = sqlx::query(
                    "INSERT INTO screen_pairings (token_hash, code, expires_at) VALUES ($1, $2, $3)
                     ON CONFLICT (code) DO NOTHING",
                )
                .bind(token_hash)
                .bind(code)
                .bind(expires_at_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok::<_, sqlx::Error>(inserted == 1)
            }
            .await
        })?;
        Ok(done)
    }

    /// Makes the device that shows `code` (unexpired) screen `screen` of `ws`, in one
    /// transaction; `false` if no device shows that code.
    pub async fn claim_pairing(
        &self,
        code: &str,
        ws: &WorkspaceId,
        screen: &ScreenRow,
    ) -> Result<bool> {
        let now = crate::now_ms();
        let claimed = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let token_hash = sqlx::query_scalar::<_, String>(
                    "DELETE FROM screen_pairings WHERE code = $1 AND expires_at > $2
                     RETURNING token_hash",
                )
                .bind(code)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(token_hash) = token_hash else {
                    return Ok::<_, sqlx::Error>(false);
                };
                let (dashboard, playlist) = encode_shows(&screen.shows);
                sqlx::query(
                    "INSERT INTO screens (id, workspace_id, name, token_hash, dashboard_id,
                                          playlist_id, fit, revision, paired_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
                )
                .bind(screen.id.as_str())
                .bind(ws.as_str())
                .bind(&screen.name)
                .bind(&token_hash)
                .bind(dashboard)
                .bind(playlist)
                .bind(screen.fit.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })?;
        Ok(claimed)
    }

    /// The screen device `token_hash` is, if it is paired.
    pub async fn screen_by_token(&self, token_hash: &str) -> Result<Option<ScreenRow>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<
                _,
                (
                    String,
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    String,
                    i64,
                ),
            >(
                "SELECT id, workspace_id, name, dashboard_id, playlist_id, fit, revision
                 FROM screens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_optional(p)
            .await
        })?;
        row.map(
            |(id, workspace, name, dashboard, playlist, fit, revision)| {
                Ok(ScreenRow {
                    shows: decode_shows(&id, dashboard, playlist)?,
                    fit: Fit::parse(&fit).unwrap_or_default(),
                    id: parse_id(&id, "screen", ScreenId::parse)?,
                    workspace: parse_id(&workspace, "workspace", WorkspaceId::parse)?,
                    name,
                    revision,
                })
            },
        )
        .transpose()
    }

    /// Records that screen `id` was heard from now, at `resolution` running
    /// `app_version` (each kept as it was when `None`).
    pub async fn touch_screen(
        &self,
        id: &ScreenId,
        resolution: Option<&str>,
        app_version: Option<&str>,
    ) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "UPDATE screens SET last_seen_at = $1, resolution = COALESCE($2, resolution),
                        app_version = COALESCE($3, app_version)
                 WHERE id = $4",
            )
            .bind(crate::now_ms())
            .bind(resolution)
            .bind(app_version)
            .bind(id.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The screens of `ws`, by name.
    pub async fn list_screens(&self, ws: &WorkspaceId) -> Result<Vec<ScreenSummary>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, SummaryRow>(
                "SELECT id, name, dashboard_id, playlist_id, fit, paired_at, last_seen_at,
                        resolution, app_version
                 FROM screens WHERE workspace_id = $1 ORDER BY name, paired_at",
            )
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        let now = crate::now_ms();
        rows.into_iter().map(|row| summary(row, now)).collect()
    }

    /// Renames screen `id` of `ws` and sets what it shows and how; `false` if there is
    /// no such screen.
    pub async fn update_screen(
        &self,
        ws: &WorkspaceId,
        id: &ScreenId,
        name: &str,
        shows: &Shows,
        fit: Fit,
    ) -> Result<bool> {
        let (dashboard, playlist) = encode_shows(shows);
        let changed = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE screens SET name = $1, dashboard_id = $2, playlist_id = $3, fit = $4,
                        revision = revision + 1
                 WHERE id = $5 AND workspace_id = $6",
            )
            .bind(name)
            .bind(dashboard)
            .bind(playlist)
            .bind(fit.as_str())
            .bind(id.as_str())
            .bind(ws.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(changed == 1)
    }

    /// Unpairs screen `id` of `ws`: its device token stops working. `false` if there is
    /// no such screen.
    pub async fn delete_screen(&self, ws: &WorkspaceId, id: &ScreenId) -> Result<bool> {
        let gone = with_pool!(self, |p| {
            sqlx::query("DELETE FROM screens WHERE id = $1 AND workspace_id = $2")
                .bind(id.as_str())
                .bind(ws.as_str())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(gone == 1)
    }

    /// The screens of `ws` showing playlist `id`, by name.
    pub async fn screens_showing(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
    ) -> Result<Vec<(ScreenId, String)>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, name FROM screens WHERE workspace_id = $1 AND playlist_id = $2
                 ORDER BY name",
            )
            .bind(ws.as_str())
            .bind(id.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(id, name)| Ok((parse_id(&id, "screen", ScreenId::parse)?, name)))
            .collect()
    }

    /// The playlists of `ws`, by name.
    pub async fn list_playlists(&self, ws: &WorkspaceId) -> Result<Vec<PlaylistSummary>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, i64)>(
                "SELECT id, document, revision FROM playlists WHERE workspace_id = $1
                 ORDER BY name, id",
            )
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(id, document, revision)| {
                Ok(PlaylistSummary {
                    playlist: decode_playlist(&id, &document)?,
                    id: parse_id(&id, "playlist", PlaylistId::parse)?,
                    revision,
                })
            })
            .collect()
    }

    /// Playlist `id` of `ws` and its revision.
    pub async fn get_playlist(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
    ) -> Result<Option<(Playlist, i64)>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT document, revision FROM playlists WHERE id = $1 AND workspace_id = $2",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(document, revision)| Ok((decode_playlist(id.as_str(), &document)?, revision)))
            .transpose()
    }

    pub async fn insert_playlist(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
        playlist: &Playlist,
    ) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO playlists (id, workspace_id, name, document, revision, updated_at)
                 VALUES ($1, $2, $3, $4, 1, $5)",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .bind(&playlist.name)
            .bind(encode_playlist(playlist))
            .bind(crate::now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Replaces playlist `id` of `ws`; `false` if there is no such playlist.
    pub async fn update_playlist(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
        playlist: &Playlist,
    ) -> Result<bool> {
        let changed = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE playlists SET name = $1, document = $2, revision = revision + 1,
                        updated_at = $3
                 WHERE id = $4 AND workspace_id = $5",
            )
            .bind(&playlist.name)
            .bind(encode_playlist(playlist))
            .bind(crate::now_ms())
            .bind(id.as_str())
            .bind(ws.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(changed == 1)
    }

    pub async fn delete_playlist(&self, ws: &WorkspaceId, id: &PlaylistId) -> Result<bool> {
        let gone = with_pool!(self, |p| {
            sqlx::query("DELETE FROM playlists WHERE id = $1 AND workspace_id = $2")
                .bind(id.as_str())
                .bind(ws.as_str())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(gone == 1)
    }

    /// What an open screen's stream compares between checks: the screen's revision,
    /// what it shows, and its playlist's revision (0 without one); `None` once the
    /// screen is unpaired.
    pub async fn screen_state(&self, id: &ScreenId) -> Result<Option<ScreenState>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as::<_, ScreenState>(
                "SELECT s.revision, s.dashboard_id, s.playlist_id, COALESCE(pl.revision, 0)
                 FROM screens s LEFT JOIN playlists pl ON pl.id = s.playlist_id
                 WHERE s.id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?)
    }
}

fn decode_playlist(id: &str, text: &str) -> Result<Playlist> {
    serde_json::from_str(text).map_err(|e| corrupt("playlist", id, e))
}

fn encode_playlist(playlist: &Playlist) -> String {
    serde_json::to_string(playlist).expect("a playlist serializes")
}

/// What a live playlist share link opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedPlaylist {
    pub link: app::model::ShareLinkId,
    pub playlist: PlaylistId,
    pub workspace: WorkspaceId,
    /// The playlist's revision: a change of it changes what the link shows.
    pub revision: i64,
}

impl Storage {
    /// Makes a share link of playlist `id` of `ws` (by its token's hash); `None` if
    /// there is no such playlist.
    pub async fn insert_playlist_share(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
        token_hash: &str,
    ) -> Result<Option<app::api::ShareLink>> {
        if self.get_playlist(ws, id).await?.is_none() {
            return Ok(None);
        }
        let now = crate::now_ms();
        let link = app::model::ShareLinkId::parse(crate::new_id()).expect("hex is a valid id");
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO playlist_share_links (id, playlist_id, token, created_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(link.as_str())
            .bind(id.as_str())
            .bind(token_hash)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(Some(app::api::ShareLink {
            id: link,
            created_at_ms: now,
            expires_at_ms: None,
            has_password: false,
            views: 0,
            last_view_ms: None,
        }))
    }

    /// The live share links of playlist `id` of `ws`, oldest first.
    pub async fn list_playlist_shares(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
    ) -> Result<Vec<app::api::ShareLink>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, i64, i64, Option<i64>)>(
                "SELECT s.id, s.created_at, s.views, s.last_view_at
                 FROM playlist_share_links s JOIN playlists pl ON pl.id = s.playlist_id
                 WHERE s.playlist_id = $1 AND pl.workspace_id = $2 AND s.revoked_at IS NULL
                 ORDER BY s.created_at",
            )
            .bind(id.as_str())
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(link, created_at_ms, views, last_view_ms)| {
                Ok(app::api::ShareLink {
                    id: parse_id(&link, "share link", app::model::ShareLinkId::parse)?,
                    created_at_ms,
                    expires_at_ms: None,
                    has_password: false,
                    views,
                    last_view_ms,
                })
            })
            .collect()
    }

    /// Revokes link `link` of playlist `id` of `ws`; `false` if there is no such live
    /// link.
    pub async fn revoke_playlist_share(
        &self,
        ws: &WorkspaceId,
        id: &PlaylistId,
        link: &app::model::ShareLinkId,
    ) -> Result<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE playlist_share_links SET revoked_at = $1
                 WHERE id = $2 AND playlist_id = $3 AND revoked_at IS NULL
                   AND playlist_id IN (SELECT id FROM playlists WHERE workspace_id = $4)",
            )
            .bind(crate::now_ms())
            .bind(link.as_str())
            .bind(id.as_str())
            .bind(ws.as_str())
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// What the live playlist link with token hash `token_hash` opens.
    pub async fn shared_playlist(&self, token_hash: &str) -> Result<Option<SharedPlaylist>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String, i64)>(
                "SELECT s.id, pl.id, pl.workspace_id, pl.revision
                 FROM playlist_share_links s JOIN playlists pl ON pl.id = s.playlist_id
                 WHERE s.token = $1 AND s.revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(p)
            .await
        })?;
        row.map(|(link, playlist, workspace, revision)| {
            Ok(SharedPlaylist {
                link: parse_id(&link, "share link", app::model::ShareLinkId::parse)?,
                playlist: parse_id(&playlist, "playlist", PlaylistId::parse)?,
                workspace: parse_id(&workspace, "workspace", WorkspaceId::parse)?,
                revision,
            })
        })
        .transpose()
    }

    /// Counts one opening of playlist link `link`.
    pub async fn count_playlist_share_view(&self, link: &app::model::ShareLinkId) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "UPDATE playlist_share_links SET views = views + 1, last_view_at = $1 WHERE id = $2",
            )
            .bind(crate::now_ms())
            .bind(link.as_str())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }
}
