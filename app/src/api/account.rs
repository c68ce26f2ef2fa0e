//! Server functions about the signed-in user. Signing in and out, first-run setup and
//! password resets are plain HTML forms served by the server's auth module (they work
//! before any script loads and never need the application bundle).

use crate::auth::Me;
use crate::error::AppError;
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
