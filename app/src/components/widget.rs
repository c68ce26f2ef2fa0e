//! A widget's content, by kind, fed by the live frames. The same component renders in
//! the editor, the viewer, the kiosk and share pages, on the server and in the browser.

use crate::model::{DatasetId, Frame, KpiProps, Widget, WidgetKind};
use leptos::prelude::*;
use std::collections::HashMap;

#[component]
pub fn WidgetBody(
    #[prop(into)] widget: Signal<Widget>,
    frames: RwSignal<HashMap<DatasetId, Frame>>,
) -> impl IntoView {
    move || match widget.get().kind {
        WidgetKind::Kpi(props) => view! { <KpiView props widget frames /> }.into_any(),
    }
}

/// What a KPI shows: the formatted number, or a placeholder, and any problem with it.
#[derive(Debug, Clone, PartialEq)]
struct KpiState {
    text: String,
    problem: Option<String>,
    updated_at_ms: i64,
}

fn kpi_state(props: &KpiProps, widget: &Widget, frames: &HashMap<DatasetId, Frame>) -> KpiState {
    let Some(binding) = &widget.binding else {
        return KpiState {
            text: "—".into(),
            problem: Some("not connected to data".into()),
            updated_at_ms: 0,
        };
    };
    let Some(frame) = frames.get(&binding.dataset) else {
        return KpiState {
            text: "—".into(),
            problem: Some("waiting for data".into()),
            updated_at_ms: 0,
        };
    };
    let (text, problem) = match frame.number(&binding.field) {
        Ok(n) => (props.format(n), None),
        Err(e) => ("—".into(), Some(e)),
    };
    KpiState {
        text,
        problem: frame.error.clone().or(problem),
        updated_at_ms: frame.updated_at_ms,
    }
}

#[component]
fn KpiView(
    props: KpiProps,
    widget: Signal<Widget>,
    frames: RwSignal<HashMap<DatasetId, Frame>>,
) -> impl IntoView {
    let title = props.title.clone();
    let state = Memo::new(move |_| frames.with(|f| widget.with(|w| kpi_state(&props, w, f))));
    view! {
        <div class="kpi">
            <div class="kpi-title">{title}</div>
            <div class="kpi-value" data-testid="kpi-value" data-updated=move || state.get().updated_at_ms>
                {move || state.get().text}
            </div>
            {move || {
                state
                    .get()
                    .problem
                    .map(|p| {
                        let tip = p.clone();
                        view! {
                            <div class="widget-problem" role="status" data-testid="widget-problem" title=tip>
                                "⚠ "
                                {p}
                            </div>
                        }
                    })
            }}
        </div>
    }
}
