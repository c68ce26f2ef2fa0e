//! The stage: a box with the dashboard's aspect ratio, scaled to fit its container, in
//! which widgets sit at percentage positions. Scaling is pure CSS, so the server's HTML
//! is already laid out right at any screen size.

use crate::hooks::LiveFrames;
use crate::model::Dashboard;
use crate::widgets::WidgetBody;
use leptos::prelude::*;

/// CSS variables that size a stage for `dashboard`.
pub fn stage_style(dashboard: &Dashboard) -> String {
    format!(
        "--aspect:{:.6};--design-width:{}",
        dashboard.resolution.aspect(),
        dashboard.resolution.width
    )
}

/// A read-only dashboard, live.
#[component]
pub fn DashboardCanvas(dashboard: Dashboard, frames: LiveFrames) -> impl IntoView {
    let resolution = dashboard.resolution;
    let style = stage_style(&dashboard);
    let theme = dashboard.theme.css_class();
    let widgets = dashboard
        .widgets
        .into_iter()
        .map(|widget| {
            let rect = widget.rect.css(&resolution);
            let id = widget.id.to_string();
            view! {
                <div class="widget" style=rect data-widget=id>
                    <WidgetBody widget=Signal::stored(widget) frames />
                </div>
            }
        })
        .collect_view();
    view! {
        <div class=format!("stage {theme}") style=style data-testid="stage">
            {widgets}
        </div>
    }
}
