//! Embed: another page in a sandboxed frame. Only origins the operator allows
//! (`WALLBOARD_EMBED_ORIGINS`) are shown; the page's Content-Security-Policy allows
//! exactly those in `frame-src`.

use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{safe_url, url_origin, Invalid, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Embed {
    pub url: String,
    /// Let the framed page run scripts (still without access to Wallboard).
    pub scripts: bool,
}

impl Kind for Embed {
    const NAME: &'static str = "embed";
    const LABEL: &'static str = "Embed";
    const ICON: &'static str = "⊡";
    const SIZE: (i32, i32) = (640, 400);
    const SLOTS: &'static [Slot] = &[];

    fn framed_url(&self) -> Option<&str> {
        Some(self.url.trim()).filter(|u| !u.is_empty())
    }

    fn validate(&self) -> Result<(), Invalid> {
        if !self.url.trim().is_empty() {
            safe_url(&self.url).map_err(|e| Invalid::new("url", e))?;
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let origin = url_origin(&self.url);
        let allowed = origin.as_ref().is_some_and(|o| {
            cx.screen
                .embed_origins
                .with_value(|list| list.iter().any(|a| a == o))
        });
        let body = match (origin, allowed) {
            (None, _) => view! { <div class="wb-empty">"No page chosen"</div> }.into_any(),
            (Some(o), false) => view! {
                <div class="wb-empty" data-testid="embed-refused">
                    {format!("{o} is not an allowed origin: the operator lists origins in WALLBOARD_EMBED_ORIGINS")}
                </div>
            }
            .into_any(),
            (Some(_), true) => {
                let sandbox = if self.scripts { "allow-scripts allow-same-origin" } else { "" };
                view! {
                    <iframe
                        src=self.url.trim().to_string()
                        sandbox=sandbox
                        referrerpolicy="no-referrer"
                        title="embedded page"
                        tabindex=(!cx.screen.interactive).then_some("-1")
                    ></iframe>
                }
                .into_any()
            }
        };
        view! { <div class="embed">{body}</div> }.into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::text(edit, "Page address (https://…)", "embed_url", |p| p.url.clone(), |p, v| p.url = v.trim().to_string())}
            {inspect::check(edit, "Let the page run scripts", "scripts", |p| p.scripts, |p, v| p.scripts = v)}
            <p class="hint">"Only origins listed in WALLBOARD_EMBED_ORIGINS are shown."</p>
        }
        .into_any()
    }
}
