//! Managing a workspace: its members and their roles, invitations, API tokens and the
//! audit log. Each function takes the scope (or caller) that allowed it; the server
//! functions decide which action that is.

use super::{audit, hash_secret, new_secret, API_TOKEN_PREFIX};
use crate::backend::storage_error;
use crate::startup::Core;
use crate::storage::{ApiTokenRow, MemberChange};
use app::auth::{
    Action, ApiTokenForm, ApiTokenSummary, AuditLine, Caller, MemberSummary, NewApiToken,
    NewInvite, Role, Scope,
};
use app::error::AppError;
use app::model::{ApiTokenId, UserId};
use serde_json::json;

const DAY_MS: i64 = 24 * 3600 * 1000;

pub async fn members(core: &Core, scope: &Scope) -> Result<Vec<MemberSummary>, AppError> {
    core.storage
        .members(scope.workspace())
        .await
        .map_err(storage_error)
}

pub async fn invite(
    core: &Core,
    scope: &Scope,
    role: Role,
    days: u32,
) -> Result<NewInvite, AppError> {
    let secret = new_secret("");
    let expires_at_ms = crate::now_ms() + i64::from(days) * DAY_MS;
    core.storage
        .insert_invite(
            &hash_secret(&secret),
            scope.workspace(),
            role,
            scope.actor(),
            expires_at_ms,
        )
        .await
        .map_err(storage_error)?;
    audit(
        core,
        Some(scope.workspace()),
        scope.actor(),
        "invite_created",
        "workspace",
        json!({"role": role, "days": days}),
    )
    .await;
    Ok(NewInvite {
        path: format!("/invite/{secret}"),
        role,
        expires_at_ms,
    })
}

pub async fn change_member(
    core: &Core,
    scope: &Scope,
    user: &UserId,
    role: Option<Role>,
) -> Result<(), AppError> {
    match core
        .storage
        .change_member(scope.workspace(), user, role)
        .await
        .map_err(storage_error)?
    {
        MemberChange::Done => {
            if role.is_none() {
                // Their open streams end (a removed member's session opens nothing).
                core.bus.revoke(&format!("user:{user}")).await;
            }
            let (action, detail) = match role {
                Some(role) => ("role_changed", json!({"role": role})),
                None => ("member_removed", json!({})),
            };
            audit(
                core,
                Some(scope.workspace()),
                scope.actor(),
                action,
                &format!("user:{user}"),
                detail,
            )
            .await;
            Ok(())
        }
        MemberChange::NotMember => Err(AppError::not_found("member")),
        MemberChange::LastOwner => Err(AppError::Conflict {
            message: "a workspace keeps at least one owner: make someone else owner first".into(),
        }),
    }
}

fn summary(row: ApiTokenRow, owner: Option<String>) -> ApiTokenSummary {
    ApiTokenSummary {
        id: row.id,
        label: row.label,
        scope: row.scope,
        owner,
        created_at_ms: row.created_at_ms,
        expires_at_ms: row.expires_at_ms,
        last_used_ms: row.last_used_ms,
    }
}

/// The scope in which `caller` handles API tokens, and whose tokens: an owner all of
/// them (`None`), an editor only their own.
fn token_rights(caller: &Caller) -> Result<(Scope, Option<UserId>), AppError> {
    if caller.can(Action::Manage) {
        return Ok((caller.may(Action::Manage)?, None));
    }
    let scope = caller.may(Action::EditData)?;
    let user = caller.user().cloned().ok_or_else(|| AppError::Forbidden {
        message: "an API token cannot manage API tokens".into(),
    })?;
    Ok((scope, Some(user)))
}

pub async fn api_tokens(core: &Core, caller: &Caller) -> Result<Vec<ApiTokenSummary>, AppError> {
    let (scope, only) = token_rights(caller)?;
    Ok(core
        .storage
        .api_tokens(scope.workspace())
        .await
        .map_err(storage_error)?
        .into_iter()
        .filter(|(row, _)| only.is_none() || row.user == only)
        .map(|(row, owner)| summary(row, owner))
        .collect())
}

pub async fn create_api_token(
    core: &Core,
    caller: &Caller,
    form: ApiTokenForm,
) -> Result<NewApiToken, AppError> {
    form.validate()?;
    // A workspace token outlives its maker: only owners make them.
    let scope = caller.may(if form.workspace_wide {
        Action::Manage
    } else {
        Action::EditData
    })?;
    let user = caller.user().cloned().ok_or_else(|| AppError::Forbidden {
        message: "an API token cannot make API tokens".into(),
    })?;
    let secret = new_secret(API_TOKEN_PREFIX);
    let now = crate::now_ms();
    let row = ApiTokenRow {
        id: ApiTokenId::parse(crate::new_id()).expect("hex is a valid id"),
        workspace: scope.workspace().clone(),
        user: (!form.workspace_wide).then_some(user),
        label: form.label.trim().to_string(),
        scope: form.scope,
        created_at_ms: now,
        expires_at_ms: form.expires_in_days.map(|d| now + i64::from(d) * DAY_MS),
        last_used_ms: None,
    };
    core.storage
        .insert_api_token(&hash_secret(&secret), &row)
        .await
        .map_err(storage_error)?;
    audit(
        core,
        Some(scope.workspace()),
        scope.actor(),
        "api_token_created",
        &format!("api_token:{}", row.id),
        json!({"label": row.label, "scope": row.scope, "workspace_wide": form.workspace_wide}),
    )
    .await;
    let owner = match &row.user {
        None => None,
        Some(maker) => core
            .storage
            .user(maker)
            .await
            .map_err(storage_error)?
            .map(|u| u.email),
    };
    Ok(NewApiToken {
        token: summary(row, owner),
        secret,
    })
}

pub async fn revoke_api_token(
    core: &Core,
    caller: &Caller,
    id: &ApiTokenId,
) -> Result<(), AppError> {
    let (scope, only) = token_rights(caller)?;
    if !core
        .storage
        .revoke_api_token(scope.workspace(), id, only.as_ref())
        .await
        .map_err(storage_error)?
    {
        return Err(AppError::not_found("API token"));
    }
    audit(
        core,
        Some(scope.workspace()),
        scope.actor(),
        "api_token_revoked",
        &format!("api_token:{id}"),
        json!({}),
    )
    .await;
    Ok(())
}

/// The newest 200 lines of the scope's workspace, of one action if given; users are
/// shown by their email where they are members.
pub async fn audit_log(
    core: &Core,
    scope: &Scope,
    action: Option<String>,
) -> Result<Vec<AuditLine>, AppError> {
    let named = actor_names(core, scope).await?;
    Ok(core
        .storage
        .audit_entries(Some(scope.workspace()), action.as_deref(), 200)
        .await
        .map_err(storage_error)?
        .into_iter()
        .map(|e| AuditLine {
            at_ms: e.at_ms,
            actor: named(e.actor),
            action: e.action,
            target: named(e.target),
            detail: e.detail,
        })
        .collect())
}

/// Rewrites how the audit log names actors (`user:<id>`, `token of user:<id>`) with the
/// e-mail addresses of the scope's members.
pub async fn actor_names(
    core: &Core,
    scope: &Scope,
) -> Result<impl Fn(String) -> String, AppError> {
    let emails: std::collections::HashMap<String, String> = core
        .storage
        .members(scope.workspace())
        .await
        .map_err(storage_error)?
        .into_iter()
        .map(|m| (format!("user:{}", m.user), m.email))
        .collect();
    Ok(move |who: String| {
        emails.iter().fold(who, |text, (key, email)| {
            if text.contains(key.as_str()) {
                text.replace(key.as_str(), email)
            } else {
                text
            }
        })
    })
}

/// The calling user's row if they administer the server; `Forbidden` otherwise.
async fn admin(core: &Core, caller: &Caller) -> Result<crate::storage::UserRow, AppError> {
    let forbidden = || AppError::Forbidden {
        message: "only an administrator of the server may do this".into(),
    };
    let user = caller
        .user()
        .filter(|_| caller.role().is_some())
        .ok_or_else(forbidden)?;
    core.storage
        .user(user)
        .await
        .map_err(storage_error)?
        .filter(|row| row.is_admin)
        .ok_or_else(forbidden)
}

pub async fn reset_link(core: &Core, caller: &Caller, user: &UserId) -> Result<String, AppError> {
    let admin = admin(core, caller).await?;
    let target = core
        .storage
        .user(user)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| AppError::not_found("user"))?;
    let link = super::reset_link(&core.storage, &target.email, "")
        .await
        .map_err(|_| AppError::Internal)?;
    audit(
        core,
        Some(caller.workspace()),
        &format!("user:{}", admin.id),
        "reset_link_created",
        &format!("user:{user}"),
        json!({}),
    )
    .await;
    Ok(link)
}

pub async fn create_workspace(
    core: &Core,
    caller: &Caller,
    name: String,
) -> Result<app::model::WorkspaceId, AppError> {
    let admin = admin(core, caller).await?;
    let ws = core
        .storage
        .insert_workspace(&name)
        .await
        .map_err(storage_error)?;
    core.storage
        .set_member(&ws, &admin.id, Role::Owner)
        .await
        .map_err(storage_error)?;
    audit(
        core,
        Some(&ws),
        &format!("user:{}", admin.id),
        "workspace_created",
        &format!("workspace:{ws}"),
        json!({"name": name}),
    )
    .await;
    Ok(ws)
}
