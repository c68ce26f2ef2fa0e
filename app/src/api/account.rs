//! Server functions about accounts: who is signed in, the workspace's members and
//! invitations, API tokens and the audit log. Signing in and out, first-run setup,
//! joining by invitation and password resets are plain HTML forms served by the
//! server's auth module (they work before any script loads).

use crate::auth::{
    ApiTokenForm, ApiTokenSummary, AuditLine, Me, MemberSummary, NewApiToken, NewInvite, Role,
};
use crate::error::AppError;
use crate::model::{ApiTokenId, UserId};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Who is signed in, in which workspace, with which role.
#[server(prefix = "/api/fn", endpoint = "me", input = Json)]
pub async fn who_am_i() -> Result<Me, AppError> {
    use super::ssr::*;
    respond(
        async {
            let caller = caller()?;
            backend()?.me(&caller).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_members", input = Json)]
pub async fn list_members() -> Result<Vec<MemberSummary>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::Manage)?;
            backend.members(&scope).await
        }
        .await,
    )
}

/// Makes a one-time invitation link with `role`, valid for `days` days (1 to 30).
#[server(prefix = "/api/fn", endpoint = "create_invite", input = Json)]
pub async fn create_invite(role: Role, days: u32) -> Result<NewInvite, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::Manage)?;
            if !(1..=30).contains(&days) {
                return Err(AppError::Invalid {
                    field: "days".into(),
                    message: "an invitation lasts 1 to 30 days".into(),
                });
            }
            backend.invite(&scope, role, days).await
        }
        .await,
    )
}

/// Gives a member another role, or (`role` null) removes them from the workspace.
#[server(prefix = "/api/fn", endpoint = "change_member", input = Json)]
pub async fn change_member(user: UserId, role: Option<Role>) -> Result<(), AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::Manage)?;
            backend.change_member(&scope, &user, role).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "list_api_tokens", input = Json)]
pub async fn list_api_tokens() -> Result<Vec<ApiTokenSummary>, AppError> {
    use super::ssr::*;
    respond(async { backend()?.api_tokens(&caller()?).await }.await)
}

/// Makes an API token; its secret is in the answer and nowhere else, ever.
#[server(prefix = "/api/fn", endpoint = "create_api_token", input = Json)]
pub async fn create_api_token(form: ApiTokenForm) -> Result<NewApiToken, AppError> {
    use super::ssr::*;
    respond(
        async {
            form.validate()?;
            backend()?.create_api_token(&caller()?, form).await
        }
        .await,
    )
}

#[server(prefix = "/api/fn", endpoint = "revoke_api_token", input = Json)]
pub async fn revoke_api_token(id: ApiTokenId) -> Result<(), AppError> {
    use super::ssr::*;
    respond(async { backend()?.revoke_api_token(&caller()?, &id).await }.await)
}

/// The newest 200 lines of the workspace's audit log, of one action if given.
#[server(prefix = "/api/fn", endpoint = "audit_log", input = Json)]
pub async fn audit_log(action: Option<String>) -> Result<Vec<AuditLine>, AppError> {
    use super::ssr::*;
    respond(
        async {
            let (backend, scope) = authorized(Action::Manage)?;
            if action.as_ref().is_some_and(|a| a.len() > 64) {
                return Err(AppError::Invalid {
                    field: "action".into(),
                    message: "an action name is at most 64 characters".into(),
                });
            }
            backend.audit_log(&scope, action).await
        }
        .await,
    )
}

/// A one-time link that sets a new password for `user` and ends their sessions; for
/// administrators of the server (there is no email: they pass the link on).
#[server(prefix = "/api/fn", endpoint = "create_reset_link", input = Json)]
pub async fn create_reset_link(user: UserId) -> Result<String, AppError> {
    use super::ssr::*;
    respond(async { backend()?.reset_link(&caller()?, &user).await }.await)
}

/// Makes a workspace named `name` (1 to 80 characters) owned by the calling
/// administrator.
#[server(prefix = "/api/fn", endpoint = "create_workspace", input = Json)]
pub async fn create_workspace(name: String) -> Result<crate::model::WorkspaceId, AppError> {
    use super::ssr::*;
    respond(
        async {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 80 {
                return Err(AppError::Invalid {
                    field: "name".into(),
                    message: "a workspace name is 1 to 80 characters".into(),
                });
            }
            backend()?.create_workspace(&caller()?, name).await
        }
        .await,
    )
}
