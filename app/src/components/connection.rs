//! The live-connection indicator: a dot and a word in a corner of every live screen.

use crate::hooks::Connection;
use leptos::prelude::*;

#[component]
pub fn ConnectionBadge(connection: RwSignal<Connection>) -> impl IntoView {
    view! {
        <span
            class=move || format!("connection connection-{}", connection.get().label())
            data-testid="connection"
            title="Live data connection"
        >
            <span class="dot"></span>
            {move || connection.get().label()}
        </span>
    }
}
