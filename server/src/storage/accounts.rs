//! Storage of accounts: users, workspaces and their members, sessions, one-time links
//! (invitations, password resets), API tokens and the audit log. Every token is kept
//! as the SHA-256 hash of its secret; the secret itself is never stored.

use super::{parse_id, Pool, Result, Storage};
use app::auth::{MemberSummary, Role, TokenScope};
use app::model::{ApiTokenId, UserId, WorkspaceId};

/// What became of a role change or removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange {
    Done,
    NotMember,
    /// Refused: the workspace would have no owner left.
    LastOwner,
}

/// A user as stored (the password hash never leaves the server).
#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
}

/// A user about to be made.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
}

/// A live session with the user's role in its workspace (`None`: no longer a member).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub user: UserId,
    pub workspace: WorkspaceId,
    pub role: Option<Role>,
    pub expires_at_ms: i64,
    pub last_seen_ms: i64,
}

/// An API token as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiTokenRow {
    pub id: ApiTokenId,
    pub workspace: WorkspaceId,
    pub user: Option<UserId>,
    pub label: String,
    pub scope: TokenScope,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

/// One line of the audit log. `detail` is JSON and never holds a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub workspace: Option<WorkspaceId>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

type UserTuple = (String, String, String, String, i64);

fn user_of(row: UserTuple) -> Result<UserRow> {
    let (id, email, name, password_hash, is_admin) = row;
    Ok(UserRow {
        id: parse_id(&id, "user", UserId::parse)?,
        email,
        name,
        password_hash,
        is_admin: is_admin != 0,
    })
}

fn role_of(raw: &str) -> Result<Role> {
    Role::parse(raw).ok_or_else(|| super::corrupt("role", raw, "not a role"))
}

impl Storage {
    // --- users ---

    pub async fn count_users(&self) -> Result<i64> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
                .fetch_one(p)
                .await
        })?)
    }

    /// Makes a user and makes them a member of `ws` with `role`, together or not at all.
    /// `Ok(None)` if the email is taken.
    pub async fn insert_user(
        &self,
        user: &NewUser,
        ws: &WorkspaceId,
        role: Role,
    ) -> Result<Option<UserId>> {
        let id = UserId::parse(crate::new_id()).expect("hex is a valid id");
        let now = crate::now_ms();
        let inserted = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let n = sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, is_admin, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING",
                )
                .bind(id.as_str())
                .bind(&user.email)
                .bind(&user.name)
                .bind(&user.password_hash)
                .bind(i64::from(user.is_admin))
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    return Ok::<_, sqlx::Error>(false);
                }
                sqlx::query(
                    "INSERT INTO members (workspace_id, user_id, role, created_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(ws.as_str())
                .bind(id.as_str())
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }
            .await
        })?;
        Ok(inserted.then_some(id))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, UserTuple>(
                "SELECT id, email, name, password_hash, is_admin FROM users WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(p)
            .await
        })?;
        row.map(user_of).transpose()
    }

    pub async fn user(&self, id: &UserId) -> Result<Option<UserRow>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, UserTuple>(
                "SELECT id, email, name, password_hash, is_admin FROM users WHERE id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(p)
            .await
        })?;
        row.map(user_of).transpose()
    }

    /// Sets a user's password and ends every session they have, in one transaction.
    pub async fn set_password(&self, user: &UserId, password_hash: &str) -> Result<()> {
        with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(user.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user.as_str())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await
        })?;
        Ok(())
    }

    // --- workspaces and members ---

    /// Makes a workspace named `name` (with no members yet).
    pub async fn insert_workspace(&self, name: &str) -> Result<WorkspaceId> {
        let id = WorkspaceId::parse(crate::new_id()).expect("hex is a valid id");
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id.as_str())
                .bind(name)
                .bind(crate::now_ms())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(id)
    }

    /// Makes `user` a member of `ws` with `role`, or changes their role there.
    pub async fn set_member(&self, ws: &WorkspaceId, user: &UserId, role: Role) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(ws.as_str())
            .bind(user.as_str())
            .bind(role.as_str())
            .bind(crate::now_ms())
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The workspaces `user` belongs to, with names and roles, by name.
    pub async fn memberships(&self, user: &UserId) -> Result<Vec<(WorkspaceId, String, Role)>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT w.id, w.name, m.role FROM members m JOIN workspaces w ON w.id = m.workspace_id
                 WHERE m.user_id = $1 ORDER BY w.name, w.id",
            )
            .bind(user.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(id, name, role)| {
                Ok((
                    parse_id(&id, "workspace", WorkspaceId::parse)?,
                    name,
                    role_of(&role)?,
                ))
            })
            .collect()
    }

    /// The members of `ws`, owners first, then by email.
    pub async fn members(&self, ws: &WorkspaceId) -> Result<Vec<MemberSummary>> {
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String, String, i64)>(
                "SELECT u.id, u.email, u.name, m.role, m.created_at
                 FROM members m JOIN users u ON u.id = m.user_id
                 WHERE m.workspace_id = $1 ORDER BY u.email",
            )
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        let mut members = rows
            .into_iter()
            .map(|(id, email, name, role, joined_at_ms)| {
                Ok(MemberSummary {
                    user: parse_id(&id, "user", UserId::parse)?,
                    email,
                    name,
                    role: role_of(&role)?,
                    joined_at_ms,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        members.sort_by_key(|m| std::cmp::Reverse(m.role));
        Ok(members)
    }

    /// Changes a member's role, or (`None`) removes them, unless that leaves `ws` with
    /// no owner; in one transaction. `Ok(false)`: they are not a member.
    pub async fn change_member(
        &self,
        ws: &WorkspaceId,
        user: &UserId,
        role: Option<Role>,
    ) -> Result<MemberChange> {
        Ok(with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let current = sqlx::query_scalar::<_, String>(
                    "SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(ws.as_str())
                .bind(user.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let Some(current) = current else {
                    return Ok::<_, sqlx::Error>(MemberChange::NotMember);
                };
                if current == Role::Owner.as_str() && role != Some(Role::Owner) {
                    let owners = sqlx::query_scalar::<_, i64>(
                        "SELECT COUNT(*) FROM members WHERE workspace_id = $1 AND role = 'owner'",
                    )
                    .bind(ws.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
                    if owners <= 1 {
                        return Ok(MemberChange::LastOwner);
                    }
                }
                match role {
                    Some(role) => {
                        sqlx::query(
                            "UPDATE members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
                        )
                        .bind(role.as_str())
                        .bind(ws.as_str())
                        .bind(user.as_str())
                        .execute(&mut *tx)
                        .await?;
                    }
                    None => {
                        sqlx::query("DELETE FROM members WHERE workspace_id = $1 AND user_id = $2")
                            .bind(ws.as_str())
                            .bind(user.as_str())
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(MemberChange::Done)
            }
            .await
        })?)
    }

    // --- sessions ---

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user: &UserId,
        ws: &WorkspaceId,
        expires_at_ms: i64,
    ) -> Result<()> {
        let now = crate::now_ms();
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, expires_at, last_seen_at)
                 VALUES ($1, $2, $3, $4, $5, $4)",
            )
            .bind(token_hash)
            .bind(user.as_str())
            .bind(ws.as_str())
            .bind(now)
            .bind(expires_at_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, with the user's role in its
    /// workspace; `None` if there is none (expired sessions included).
    pub async fn session(&self, token_hash: &str) -> Result<Option<SessionRow>> {
        let now = crate::now_ms();
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, Option<String>, i64, i64)>(
                "SELECT s.user_id, s.workspace_id, m.role, s.expires_at, s.last_seen_at
                 FROM sessions s
                 LEFT JOIN members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await
        })?;
        row.map(|(user, ws, role, expires_at_ms, last_seen_ms)| {
            Ok(SessionRow {
                user: parse_id(&user, "user", UserId::parse)?,
                workspace: parse_id(&ws, "workspace", WorkspaceId::parse)?,
                role: role.as_deref().map(role_of).transpose()?,
                expires_at_ms,
                last_seen_ms,
            })
        })
        .transpose()
    }

    pub async fn touch_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(crate::now_ms())
                .bind(token_hash)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Ends every session of `user` ("sign out everywhere"); how many there were.
    pub async fn delete_sessions_of(&self, user: &UserId) -> Result<u64> {
        Ok(with_pool!(self, |p| {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.as_str())
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?)
    }

    // --- one-time links ---

    pub async fn insert_password_reset(
        &self,
        token_hash: &str,
        user: &UserId,
        expires_at_ms: i64,
    ) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(user.as_str())
            .bind(crate::now_ms())
            .bind(expires_at_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The user a live reset link is for, without using it up.
    pub async fn password_reset(&self, token_hash: &str) -> Result<Option<UserId>> {
        let user = with_pool!(self, |p| {
            sqlx::query_scalar::<_, String>(
                "SELECT user_id FROM password_resets
                 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_optional(p)
            .await
        })?;
        user.map(|u| parse_id(&u, "user", UserId::parse))
            .transpose()
    }

    /// Uses up a live reset link and sets the new password (ending every session), in
    /// one transaction; `None` if the link is unknown, used or expired.
    pub async fn redeem_password_reset(
        &self,
        token_hash: &str,
        password_hash: &str,
    ) -> Result<Option<UserId>> {
        let now = crate::now_ms();
        let user = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let user = sqlx::query_scalar::<_, String>(
                    "UPDATE password_resets SET used_at = $1
                     WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                     RETURNING user_id",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(user) = user else {
                    return Ok::<_, sqlx::Error>(None);
                };
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(password_hash)
                    .bind(&user)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(&user)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(Some(user))
            }
            .await
        })?;
        user.map(|u| parse_id(&u, "user", UserId::parse))
            .transpose()
    }

    pub async fn insert_invite(
        &self,
        token_hash: &str,
        ws: &WorkspaceId,
        role: Role,
        created_by: &str,
        expires_at_ms: i64,
    ) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO invites (token_hash, workspace_id, role, created_by, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(token_hash)
            .bind(ws.as_str())
            .bind(role.as_str())
            .bind(created_by)
            .bind(crate::now_ms())
            .bind(expires_at_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// A live invitation: its workspace, the workspace's name and the role it gives.
    pub async fn invite(&self, token_hash: &str) -> Result<Option<(WorkspaceId, String, Role)>> {
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, (String, String, String)>(
                "SELECT i.workspace_id, w.name, i.role FROM invites i
                 JOIN workspaces w ON w.id = i.workspace_id
                 WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2",
            )
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_optional(p)
            .await
        })?;
        row.map(|(ws, name, role)| {
            Ok((
                parse_id(&ws, "workspace", WorkspaceId::parse)?,
                name,
                role_of(&role)?,
            ))
        })
        .transpose()
    }

    /// Uses up a live invitation for `user` (made here when `new_user` is given), who
    /// joins its workspace with its role (a member already keeps the higher role); in
    /// one transaction. `None` if the invitation is unknown, used or expired, or the
    /// new user's email is taken.
    pub async fn redeem_invite(
        &self,
        token_hash: &str,
        user: &UserId,
        new_user: Option<&NewUser>,
    ) -> Result<Option<(WorkspaceId, Role)>> {
        let now = crate::now_ms();
        let joined = with_pool!(self, |p| {
            async {
                let mut tx = p.begin().await?;
                let invite = sqlx::query_as::<_, (String, String)>(
                    "UPDATE invites SET used_at = $1
                     WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
                     RETURNING workspace_id, role",
                )
                .bind(now)
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
                let Some((ws, role)) = invite else {
                    return Ok::<_, sqlx::Error>(None);
                };
                if let Some(new) = new_user {
                    let n = sqlx::query(
                        "INSERT INTO users (id, email, name, password_hash, is_admin, created_at)
                         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (email) DO NOTHING",
                    )
                    .bind(user.as_str())
                    .bind(&new.email)
                    .bind(&new.name)
                    .bind(&new.password_hash)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n == 0 {
                        return Ok(None);
                    }
                }
                let existing = sqlx::query_scalar::<_, String>(
                    "SELECT role FROM members WHERE workspace_id = $1 AND user_id = $2",
                )
                .bind(&ws)
                .bind(user.as_str())
                .fetch_optional(&mut *tx)
                .await?;
                let given = Role::parse(&role).unwrap_or(Role::Viewer);
                let kept = existing.as_deref().and_then(Role::parse);
                let role = kept.map_or(given, |k| k.max(given));
                sqlx::query(
                    "INSERT INTO members (workspace_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(&ws)
                .bind(user.as_str())
                .bind(role.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some((ws, role)))
            }
            .await
        })?;
        joined
            .map(|(ws, role)| Ok((parse_id(&ws, "workspace", WorkspaceId::parse)?, role)))
            .transpose()
    }

    /// Moves a session to workspace `ws` if its user is a member there; `false` if not.
    pub async fn switch_session(&self, token_hash: &str, ws: &WorkspaceId) -> Result<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE sessions SET workspace_id = $1 WHERE token_hash = $2 AND EXISTS (
                     SELECT 1 FROM members m WHERE m.workspace_id = $1 AND m.user_id = sessions.user_id)",
            )
            .bind(ws.as_str())
            .bind(token_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    // --- API tokens ---

    pub async fn insert_api_token(&self, token_hash: &str, row: &ApiTokenRow) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO api_tokens (id, token_hash, workspace_id, user_id, label, scope, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(row.id.as_str())
            .bind(token_hash)
            .bind(row.workspace.as_str())
            .bind(row.user.as_ref().map(|u| u.as_str()))
            .bind(&row.label)
            .bind(row.scope.as_str())
            .bind(row.created_at_ms)
            .bind(row.expires_at_ms)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The live API tokens of `ws`, newest first, with their makers' emails.
    pub async fn api_tokens(&self, ws: &WorkspaceId) -> Result<Vec<(ApiTokenRow, Option<String>)>> {
        type Row = (
            String,
            Option<String>,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            Option<String>,
        );
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, Row>(
                "SELECT t.id, t.user_id, t.label, t.scope, t.created_at, t.expires_at, t.last_used_at, u.email
                 FROM api_tokens t LEFT JOIN users u ON u.id = t.user_id
                 WHERE t.workspace_id = $1 AND t.revoked_at IS NULL
                 ORDER BY t.created_at DESC",
            )
            .bind(ws.as_str())
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(
                |(id, user, label, scope, created_at_ms, expires_at_ms, last_used_ms, email)| {
                    Ok((
                        ApiTokenRow {
                            scope: TokenScope::parse(&scope)
                                .ok_or_else(|| super::corrupt("API token", &id, "unknown scope"))?,
                            id: parse_id(&id, "API token", ApiTokenId::parse)?,
                            workspace: ws.clone(),
                            user: user
                                .map(|u| parse_id(&u, "user", UserId::parse))
                                .transpose()?,
                            label,
                            created_at_ms,
                            expires_at_ms,
                            last_used_ms,
                        },
                        email,
                    ))
                },
            )
            .collect()
    }

    /// Revokes API token `id` of `ws` (only `user`'s own, when given); `false` if there
    /// is no such live token.
    pub async fn revoke_api_token(
        &self,
        ws: &WorkspaceId,
        id: &ApiTokenId,
        user: Option<&UserId>,
    ) -> Result<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1
                 WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL
                   AND ($4 IS NULL OR user_id = $4)",
            )
            .bind(crate::now_ms())
            .bind(id.as_str())
            .bind(ws.as_str())
            .bind(user.map(|u| u.as_str()))
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// The live (not revoked, not expired) API token whose secret hashes to `token_hash`;
    /// a personal token only while its maker is still a member of its workspace.
    pub async fn api_token(&self, token_hash: &str) -> Result<Option<ApiTokenRow>> {
        let now = crate::now_ms();
        type Row = (
            String,
            String,
            Option<String>,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        let row = with_pool!(self, |p| {
            sqlx::query_as::<_, Row>(
                "SELECT t.id, t.workspace_id, t.user_id, t.label, t.scope, t.created_at, t.expires_at,
                        t.last_used_at
                 FROM api_tokens t
                 LEFT JOIN members m ON m.workspace_id = t.workspace_id AND m.user_id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL
                   AND (t.expires_at IS NULL OR t.expires_at > $2)
                   AND (t.user_id IS NULL OR m.role IS NOT NULL)",
            )
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await
        })?;
        row.map(
            |(id, ws, user, label, scope, created_at_ms, expires_at_ms, last_used_ms)| {
                Ok(ApiTokenRow {
                    id: parse_id(&id, "API token", ApiTokenId::parse)?,
                    workspace: parse_id(&ws, "workspace", WorkspaceId::parse)?,
                    user: user
                        .map(|u| parse_id(&u, "user", UserId::parse))
                        .transpose()?,
                    label,
                    scope: TokenScope::parse(&scope)
                        .ok_or_else(|| super::corrupt("API token", &id, "unknown scope"))?,
                    created_at_ms,
                    expires_at_ms,
                    last_used_ms,
                })
            },
        )
        .transpose()
    }

    pub async fn touch_api_token(&self, id: &ApiTokenId) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(crate::now_ms())
                .bind(id.as_str())
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    // --- audit log ---

    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO audit_log (id, at, workspace_id, actor, action, target, detail)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(crate::new_id())
            .bind(entry.at_ms)
            .bind(entry.workspace.as_ref().map(|w| w.as_str()))
            .bind(&entry.actor)
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(&entry.detail)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The newest `limit` entries of workspace `ws` (with those of no workspace, such
    /// as failed sign-ins, when `ws` is `None`).
    pub async fn audit_entries(
        &self,
        ws: Option<&WorkspaceId>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        type Row = (i64, Option<String>, String, String, String, String);
        let rows = with_pool!(self, |p| {
            sqlx::query_as::<_, Row>(
                "SELECT at, workspace_id, actor, action, target, detail FROM audit_log
                 WHERE ($1 IS NULL OR workspace_id = $1) AND ($2 IS NULL OR action = $2)
                 ORDER BY at DESC, id LIMIT $3",
            )
            .bind(ws.map(|w| w.as_str()))
            .bind(action)
            .bind(limit)
            .fetch_all(p)
            .await
        })?;
        rows.into_iter()
            .map(|(at_ms, ws, actor, action, target, detail)| {
                Ok(AuditEntry {
                    at_ms,
                    workspace: ws
                        .map(|w| parse_id(&w, "workspace", WorkspaceId::parse))
                        .transpose()?,
                    actor,
                    action,
                    target,
                    detail,
                })
            })
            .collect()
    }
}
