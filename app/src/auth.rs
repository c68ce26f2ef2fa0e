//! Who may do what. A request's [`Caller`] (a signed-in member of a workspace, or an
//! API token) is resolved once by the server's auth module; every server function and
//! route asks it, through [`Caller::may`], for the [`Scope`] of one [`Action`]. The
//! backend's methods take that `Scope`, and every storage query the workspace it
//! names, so a route that does not ask cannot reach any data.

use crate::error::AppError;
use crate::model::{UserId, WorkspaceId};
use serde::{Deserialize, Serialize};

/// A member's role in a workspace, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sees dashboards; changes nothing.
    Viewer,
    /// Dashboards, datasets, push tokens and share links.
    Editor,
    /// Everything, members and settings included.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// What an API token may do, chosen when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// List and read dashboards and datasets, open live streams.
    Read,
    /// `Read`, and create, save and delete dashboards.
    Dashboards,
    /// Push rows to the workspace's pushed datasets; nothing else.
    Push,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [TokenScope::Read, TokenScope::Dashboards, TokenScope::Push];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Dashboards => "dashboards",
            TokenScope::Push => "push",
        }
    }

    pub fn parse(raw: &str) -> Option<TokenScope> {
        TokenScope::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One kind of thing a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// List and load dashboards and datasets, open live streams.
    View,
    /// Create, save and delete dashboards.
    EditDashboards,
    /// Create datasets, test sources, upload files, make and revoke push tokens and
    /// share links.
    EditData,
    /// Push rows to a pushed dataset.
    Push,
    /// Members, roles, invitations, workspace tokens and the audit log.
    Manage,
}

impl Action {
    fn describe(self) -> &'static str {
        match self {
            Action::View => "see this workspace",
            Action::EditDashboards => "change dashboards",
            Action::EditData => "change datasets, tokens and share links",
            Action::Push => "push data",
            Action::Manage => "manage members and settings",
        }
    }
}

/// What lets a caller act.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Grant {
    Member(Role),
    Token(TokenScope),
    /// The server itself (seeding the demo): everything.
    System,
}

/// Who is calling: a member of one workspace (by session) or an API token of it.
/// Made only by the server's auth module, once per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    workspace: WorkspaceId,
    user: Option<UserId>,
    grant: Grant,
}

impl Caller {
    /// A signed-in member of `workspace` with `role`.
    pub fn member(user: UserId, workspace: WorkspaceId, role: Role) -> Self {
        Self {
            workspace,
            user: Some(user),
            grant: Grant::Member(role),
        }
    }

    /// The server acting on its own in `workspace` (the demo's seeding), never a
    /// request's caller.
    pub fn system(workspace: WorkspaceId) -> Self {
        Self {
            workspace,
            user: None,
            grant: Grant::System,
        }
    }

    /// An API token of `workspace` (made by `user`, if a personal token).
    pub fn token(user: Option<UserId>, workspace: WorkspaceId, scope: TokenScope) -> Self {
        Self {
            workspace,
            user,
            grant: Grant::Token(scope),
        }
    }

    pub fn user(&self) -> Option<&UserId> {
        self.user.as_ref()
    }

    pub fn workspace(&self) -> &WorkspaceId {
        &self.workspace
    }

    /// The member's role; `None` for an API token.
    pub fn role(&self) -> Option<Role> {
        match self.grant {
            Grant::Member(role) => Some(role),
            Grant::Token(_) | Grant::System => None,
        }
    }

    /// Whether this caller may do `action`, without asking for its scope.
    pub fn can(&self, action: Action) -> bool {
        match &self.grant {
            Grant::Member(role) => match action {
                Action::View => true,
                Action::EditDashboards | Action::EditData | Action::Push => *role >= Role::Editor,
                Action::Manage => *role == Role::Owner,
            },
            Grant::System => true,
            Grant::Token(scope) => matches!(
                (scope, action),
                (TokenScope::Read, Action::View)
                    | (
                        TokenScope::Dashboards,
                        Action::View | Action::EditDashboards
                    )
                    | (TokenScope::Push, Action::Push)
            ),
        }
    }

    /// The scope in which this caller may do `action`; `Forbidden` (403) if its role
    /// or token does not allow it.
    pub fn may(&self, action: Action) -> Result<Scope, AppError> {
        if !self.can(action) {
            let who = match &self.grant {
                Grant::Member(role) => format!("a {} of this workspace", role.as_str()),
                Grant::Token(scope) => format!("an API token with scope '{}'", scope.as_str()),
                Grant::System => "the server".to_string(),
            };
            return Err(AppError::Forbidden {
                message: format!("{who} may not {}", action.describe()),
            });
        }
        Ok(Scope {
            workspace: self.workspace.clone(),
            actor: self.actor(),
        })
    }

    /// How the audit log names this caller.
    fn actor(&self) -> String {
        match (&self.grant, &self.user) {
            (Grant::Member(_), Some(user)) => format!("user:{user}"),
            (Grant::Token(_), Some(user)) => format!("token of user:{user}"),
            (Grant::System, _) => "system".to_string(),
            _ => "workspace token".to_string(),
        }
    }
}

/// Where an allowed action happens: the workspace every query it makes is limited to,
/// and who does it. Only [`Caller::may`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    workspace: WorkspaceId,
    actor: String,
}

impl Scope {
    pub fn workspace(&self) -> &WorkspaceId {
        &self.workspace
    }

    /// Who acts, as the audit log records it (never a secret).
    pub fn actor(&self) -> &str {
        &self.actor
    }
}

/// The signed-in user as pages show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub name: String,
    /// An administrator of the whole server: makes workspaces and password-reset links.
    #[serde(default)]
    pub is_admin: bool,
    pub role: Role,
    pub workspace: WorkspaceSummary,
    /// Every workspace the user belongs to (for switching).
    pub workspaces: Vec<WorkspaceSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceSummary {
    pub id: WorkspaceId,
    pub name: String,
    pub role: Role,
}

/// One member of a workspace, as the members list shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub user: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at_ms: i64,
}

/// A one-time invitation just made: the only time its link is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewInvite {
    /// `/invite/<secret>`: whoever opens it first joins with `role`.
    pub path: String,
    pub role: Role,
    pub expires_at_ms: i64,
}

/// What an API token may do and for how long, as the form sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenForm {
    pub label: String,
    pub scope: TokenScope,
    /// Days until it stops working; `None`: until revoked.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// A workspace token (owners only) outlives its maker's membership; a personal
    /// token works only while its maker is a member.
    #[serde(default)]
    pub workspace_wide: bool,
}

/// Longest an API token's label may be, and its longest life.
pub const MAX_TOKEN_LABEL_CHARS: usize = 80;
pub const MAX_TOKEN_DAYS: u32 = 3650;

impl ApiTokenForm {
    pub fn validate(&self) -> Result<(), crate::model::Invalid> {
        let label = self.label.trim();
        if label.is_empty() || label.chars().count() > MAX_TOKEN_LABEL_CHARS {
            return Err(crate::model::Invalid::new(
                "label",
                format!("a label is 1 to {MAX_TOKEN_LABEL_CHARS} characters"),
            ));
        }
        if let Some(days) = self.expires_in_days {
            if days == 0 || days > MAX_TOKEN_DAYS {
                return Err(crate::model::Invalid::new(
                    "expires_in_days",
                    format!("a token lasts 1 to {MAX_TOKEN_DAYS} days (or leave it empty)"),
                ));
            }
        }
        Ok(())
    }
}

/// An API token as lists show it: never the secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenSummary {
    pub id: crate::model::ApiTokenId,
    pub label: String,
    pub scope: TokenScope,
    /// `None`: a workspace token.
    pub owner: Option<String>,
    pub created_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
}

/// An API token just made: the only time its secret is shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: ApiTokenSummary,
    /// `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// One line of the audit log as owners read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: Role) -> Caller {
        Caller::member(
            UserId::parse("u").unwrap(),
            WorkspaceId::parse("w").unwrap(),
            role,
        )
    }

    fn token(scope: TokenScope) -> Caller {
        Caller::token(None, WorkspaceId::parse("w").unwrap(), scope)
    }

    #[test]
    fn roles_allow_what_their_names_say() {
        use Action::*;
        let table = [
            (member(Role::Viewer), [true, false, false, false, false]),
            (member(Role::Editor), [true, true, true, true, false]),
            (member(Role::Owner), [true, true, true, true, true]),
            (token(TokenScope::Read), [true, false, false, false, false]),
            (
                token(TokenScope::Dashboards),
                [true, true, false, false, false],
            ),
            (token(TokenScope::Push), [false, false, false, true, false]),
        ];
        for (caller, expected) in table {
            for (action, allowed) in [View, EditDashboards, EditData, Push, Manage]
                .into_iter()
                .zip(expected)
            {
                assert_eq!(caller.can(action), allowed, "{caller:?} {action:?}");
                assert_eq!(caller.may(action).is_ok(), allowed);
            }
        }
    }

    #[test]
    fn a_refusal_is_forbidden_and_says_why() {
        let err = member(Role::Viewer)
            .may(Action::EditDashboards)
            .unwrap_err();
        assert_eq!(err.status(), 403);
        assert!(err.to_string().contains("viewer"), "{err}");
        let scope = member(Role::Editor).may(Action::EditDashboards).unwrap();
        assert_eq!(scope.workspace().as_str(), "w");
        assert_eq!(scope.actor(), "user:u");
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for scope in TokenScope::ALL {
            assert_eq!(TokenScope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
