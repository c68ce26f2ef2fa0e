//! The frame every widget sits in: its title and subtitle, its content box (sized in
//! design pixels, so SVG views draw in the widget's own coordinates), and its states
//! shown in place — not connected, loading, no data, error with the last good value,
//! and stale with the age of the data.
//!
//! The states' elements are always rendered and shown or hidden by attribute, so the
//! server's HTML and the first browser render have the same structure whatever the
//! clock says (no hydration mismatch, no layout shift).

use super::format::age;
use super::Ctx;
use crate::hooks::LiveFrames;
use crate::model::{DatasetId, Frame, Freshness, Link, Rect, Widget, WidgetId};
use leptos::prelude::*;
use std::collections::HashMap;

/// What the page around the widgets provides: the clock, whether a person is in front
/// of it, and facts about the datasets.
#[derive(Clone, Copy)]
pub struct Screen {
    /// Unix ms, ticking once a second in the browser (the render time on the server).
    pub now: Signal<i64>,
    /// Tooltips, legends, sortable headers and links (not on kiosks).
    pub interactive: bool,
    /// What to expect of each dataset's updates (stale badges).
    pub freshness: StoredValue<HashMap<DatasetId, Freshness>>,
    /// Origins the operator allows embed widgets to show (`WALLBOARD_EMBED_ORIGINS`).
    pub embed_origins: StoredValue<Vec<String>>,
}

impl Screen {
    /// Provides a screen to the widgets below; the clock ticks once a second.
    /// `rendered_at_ms` is when the server rendered the page: the clock starts there on
    /// both sides, so hydration finds what the server wrote, and the browser's own
    /// clock takes over at the first tick.
    pub fn provide(
        interactive: bool,
        freshness: HashMap<DatasetId, Freshness>,
        embed_origins: Vec<String>,
        rendered_at_ms: i64,
    ) -> Screen {
        let now = RwSignal::new(rendered_at_ms);
        #[cfg(feature = "hydrate")]
        {
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    now.try_set(now_ms());
                },
                std::time::Duration::from_secs(1),
            ) {
                on_cleanup(move || handle.clear());
            }
        }
        let screen = Screen {
            now: now.into(),
            interactive,
            freshness: StoredValue::new(freshness),
            embed_origins: StoredValue::new(embed_origins),
        };
        provide_context(screen);
        screen
    }

    /// The screen provided above, or a still, non-interactive one.
    pub fn current() -> Screen {
        use_context::<Screen>().unwrap_or_else(|| Screen {
            now: Signal::stored(now_ms()),
            interactive: false,
            freshness: StoredValue::new(HashMap::new()),
            embed_origins: StoredValue::new(Vec::new()),
        })
    }
}

/// The current time in Unix ms, on either side.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// Where a widget's parts go, in design pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layout {
    pub pad: f64,
    pub title_px: f64,
    pub subtitle_px: f64,
    /// Height of the title block (0 without a title).
    pub head: f64,
    /// The content box: x, y, width, height.
    pub content: (f64, f64, f64, f64),
}

impl Layout {
    pub fn of(rect: Rect, title: bool, subtitle: bool) -> Layout {
        let (w, h) = (f64::from(rect.w), f64::from(rect.h));
        let pad = (w.min(h) * 0.05).clamp(6.0, 28.0);
        // Titles are one size across a wall (smaller only in small boxes).
        let title_px = (h * 0.12).min(24.0).min(w * 0.08).max(10.0);
        let subtitle_px = title_px * 0.72;
        let mut head = 0.0;
        if title {
            head += title_px * 1.35;
        }
        if subtitle {
            head += subtitle_px * 1.35;
        }
        if head > 0.0 {
            head += pad * 0.4;
        }
        let cw = (w - 2.0 * pad).max(1.0);
        let ch = (h - 2.0 * pad - head).max(1.0);
        Layout {
            pad,
            title_px,
            subtitle_px,
            head,
            content: (pad, pad + head, cw, ch),
        }
    }
}

fn pct(v: f64, of: f64) -> String {
    format!("{:.3}%", v * 100.0 / of)
}

/// A widget's frame and content, live.
#[component]
pub fn WidgetBody(#[prop(into)] widget: Signal<Widget>, frames: LiveFrames) -> impl IntoView {
    let screen = Screen::current();
    // Everything but the data and the position: the view is rebuilt only when the
    // author changes the widget (moving it changes nothing inside), never when data
    // arrives.
    let shape = Memo::new(move |_| {
        widget.with(|w| {
            (
                w.kind.clone(),
                w.look.clone(),
                w.binding.clone(),
                (w.rect.w, w.rect.h),
                w.id.clone(),
            )
        })
    });
    move || {
        let (kind, look, binding, (w, h), id) = shape.get();
        let rect = Rect { x: 0, y: 0, w, h };
        let frame: Signal<Option<Frame>> = match &binding {
            Some(b) => frames.signal(&b.dataset).into(),
            None => Signal::stored(None),
        };
        render(&kind, look, binding, rect, id, frame, screen)
    }
}

fn render(
    kind: &super::WidgetKind,
    look: crate::model::Look,
    binding: Option<crate::model::Binding>,
    rect: Rect,
    id: WidgetId,
    frame: Signal<Option<Frame>>,
    screen: Screen,
) -> AnyView {
    let layout = Layout::of(rect, !look.title.is_empty(), !look.subtitle.is_empty());
    let (w, h) = (f64::from(rect.w), f64::from(rect.h));
    let (cx, cy, cw, ch) = layout.content;
    let needs_data = kind.slots().iter().any(|s| s.required);
    let unbound = needs_data && binding.is_none();
    let freshness = binding
        .as_ref()
        .and_then(|b| screen.freshness.with_value(|f| f.get(&b.dataset).copied()));
    let stale_after_ms = Freshness::limit_ms(freshness, look.stale_after_secs, look.stale_after)
        .map(|ms| i64::try_from(ms).unwrap_or(i64::MAX));
    let accent = look
        .color
        .as_ref()
        .map(|c| format!("--accent-series:{};", c.css()))
        .unwrap_or_default();
    let style = format!("--ww:{w};--wh:{h};{accent}");
    let font = |px: f64| format!("font-size:calc(100cqw * {:.3} / {w})", px);
    let title = (!look.title.is_empty()).then(|| {
        let link = look.link.clone().filter(|_| screen.interactive);
        view! {
            <div class="wb-title" style=font(layout.title_px)>
                <span>{look.title.clone()}</span>
                {link.map(|l| link_view(&l))}
            </div>
        }
    });
    let subtitle = (!look.subtitle.is_empty())
        .then(|| view! { <div class="wb-subtitle" style=font(layout.subtitle_px)>{look.subtitle.clone()}</div> });
    let head_style = format!(
        "left:{};top:{};width:{};height:{}",
        pct(layout.pad, w),
        pct(layout.pad, h),
        pct(cw, w),
        pct(layout.head, h)
    );
    let content_style = format!(
        "--cw:{cw:.2};--ch:{ch:.2};left:{};top:{};width:{};height:{}",
        pct(cx, w),
        pct(cy, h),
        pct(cw, w),
        pct(ch, h)
    );
    let content = if unbound {
        view! {
            <div class="wb-empty" data-testid="widget-unbound">
                <span class="wb-empty-icon">{kind.icon()}</span>
                <span>"Not connected to data"</span>
            </div>
        }
        .into_any()
    } else {
        kind.view(Ctx {
            look: look.clone(),
            binding: binding.clone(),
            frame,
            size: (cw, ch),
            screen,
        })
    };
    // The states, always in the DOM, shown by attribute.
    let state = Memo::new(move |_| {
        if !needs_data {
            return State::Fine;
        }
        frame.with(|f| match f {
            None => State::Loading,
            Some(f) if f.error.is_some() => State::Failed(f.error.clone().unwrap_or_default()),
            Some(f) if f.rows.is_empty() && f.updated_at_ms == 0 => State::Loading,
            Some(f) if f.rows.is_empty() => State::NoData,
            Some(_) => State::Fine,
        })
    });
    let updated = Memo::new(move |_| frame.with(|f| f.as_ref().map_or(0, |f| f.updated_at_ms)));
    let stale_for = move || {
        let (Some(limit), updated) = (stale_after_ms, updated.get()) else {
            return None;
        };
        let now = screen.now.get();
        (updated > 0 && now > 0 && now - updated > limit).then(|| now - updated)
    };
    let problem = move || match state.get() {
        State::Failed(reason) => Some(format!("⚠ {reason}")),
        State::NoData => Some("No data".to_string()),
        State::Loading if !unbound => Some("Loading…".to_string()),
        _ => None,
    };
    view! {
        <div class=format!("wb kind-{}", kind.name()) style=style data-kind=kind.name() data-wid=id.to_string()>
            <div class="wb-head" style=head_style>
                {title}
                {subtitle}
            </div>
            <div class="wb-content" style=content_style>{content}</div>
            <div
                class=move || match state.get() {
                    State::Failed(_) => "widget-problem failed",
                    _ => "widget-problem",
                }
                role="status"
                data-testid="widget-problem"
                hidden=move || problem().is_none()
                title=move || problem().unwrap_or_default()
            >
                {move || problem().unwrap_or_default()}
            </div>
            <div
                class="wb-stale"
                data-testid="widget-stale"
                hidden=move || stale_for().is_none()
            >
                {move || stale_for().map(|ms| format!("stale · {}", age(ms))).unwrap_or_default()}
            </div>
        </div>
    }
    .into_any()
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    Fine,
    Loading,
    NoData,
    Failed(String),
}

fn link_view(link: &Link) -> impl IntoView {
    let external = matches!(link, Link::Url { .. });
    view! {
        <a
            class="wb-link"
            href=link.href()
            target=external.then_some("_blank")
            rel=external.then_some("noopener noreferrer")
            aria-label="Open the linked page"
        >
            "↗"
        </a>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_box_fits_inside_the_widget_below_its_title() {
        let rect = Rect {
            x: 0,
            y: 0,
            w: 400,
            h: 240,
        };
        let plain = Layout::of(rect, false, false);
        let titled = Layout::of(rect, true, true);
        assert_eq!(plain.head, 0.0);
        assert!(titled.head > 0.0);
        let (x, y, w, h) = titled.content;
        assert!(x >= 0.0 && y >= titled.head && x + w <= 400.0 && y + h <= 240.0);
        assert!(h < plain.content.3);
        // A tiny widget still has a positive box.
        let tiny = Layout::of(
            Rect {
                x: 0,
                y: 0,
                w: 40,
                h: 40,
            },
            true,
            true,
        );
        assert!(tiny.content.2 > 0.0 && tiny.content.3 > 0.0);
    }
}
