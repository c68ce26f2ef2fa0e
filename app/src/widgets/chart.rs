//! What the SVG charts share: the series palette, the plot box inside the content box,
//! axes with nice ticks, and the legend that hides and shows series (long lines are
//! thinned and drawn in strips by `strips.rs`).
//!
//! Charts are hand-written SVG (see docs/benchmarks.md, "Charting approach"): they
//! render on the server with the first HTML, cost no extra bundle, and update in place —
//! a new point rewrites the last strip of a line and the ticks that moved, nothing else.

use super::format::NumberFormat;
use super::scale::{compact_tick, Linear};
use leptos::prelude::*;

/// How many series colours the themes define (`--s0` … `--s7`).
pub const SERIES_COLORS: usize = 8;

/// The colour of series `i`; a widget's colour override replaces the first.
pub fn series_color(i: usize) -> String {
    if i == 0 {
        "var(--accent-series, var(--s0))".into()
    } else {
        format!("var(--s{})", i % SERIES_COLORS)
    }
}

/// Tick-label size for a content box, in design pixels.
pub fn label_px(size: (f64, f64)) -> f64 {
    (size.0.min(size.1) * 0.065).clamp(10.0, 30.0)
}

/// The plot area inside a content box.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plot {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

impl Plot {
    /// Leaves room for y labels of `label_chars` characters on the left and an x
    /// axis below, at tick-label size `font`.
    pub fn inside(size: (f64, f64), font: f64, label_chars: usize, x_axis: bool, top: f64) -> Plot {
        let left = if label_chars == 0 {
            2.0
        } else {
            font * 0.62 * label_chars as f64 + font * 0.6
        };
        let bottom_room = if x_axis { font * 1.8 } else { 2.0 };
        Plot {
            left: left.min(size.0 * 0.4),
            top: top + font * 0.6,
            right: size.0 - font * 0.8,
            bottom: (size.1 - bottom_room).max(top + font),
        }
    }

    pub fn width(&self) -> f64 {
        (self.right - self.left).max(1.0)
    }

    pub fn height(&self) -> f64 {
        (self.bottom - self.top).max(1.0)
    }

    pub fn x_scale(&self, d0: f64, d1: f64) -> Linear {
        Linear::new((d0, d1), (self.left, self.right))
    }

    pub fn y_scale(&self, d0: f64, d1: f64) -> Linear {
        Linear::new((d0, d1), (self.bottom, self.top))
    }
}

/// Renders `items` by position: the element at index `i` reads its item through its
/// own memo, so a change of values updates attributes and texts in place. Elements are
/// made as the count grows and then kept for the life of the list: past the current
/// count their item is `None`, and the view hides itself (`hidden` on HTML, see
/// [`svg_slots`] for SVG). Keying by content would rebuild every element whose value
/// moved; removing elements when the count drops would leak: a Leptos 0.8 memo keeps
/// every subscriber it ever had until that subscriber runs again, so each element made
/// and disposed under the long-lived `items` left a little memory behind (a table
/// flipping pages, docs/benchmarks.md, "Screens"). The elements kept are as many as
/// the longest the list has been.
pub fn by_index<T, V>(
    items: Memo<Vec<T>>,
    item_view: impl Fn(Memo<Option<T>>) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let made =
        Memo::new(move |made: Option<&usize>| made.copied().unwrap_or(0).max(items.with(Vec::len)));
    view! {
        <For each=move || 0..made.get() key=|i| *i let:i>
            {
                let item = Memo::new(move |_| items.with(|v| v.get(i).cloned()));
                item_view.clone()(item)
            }
        </For>
    }
}

/// [`by_index`] for SVG, where `hidden` does nothing: each element sits in a group
/// shown only while it has an item.
pub fn svg_slots<T, V>(
    items: Memo<Vec<T>>,
    item_view: impl Fn(Memo<Option<T>>) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + PartialEq + Send + Sync + 'static,
    V: IntoView + 'static,
{
    by_index(items, move |item: Memo<Option<T>>| {
        let display = move || {
            if item.with(Option::is_none) {
                "none"
            } else {
                "inline"
            }
        };
        view! { <g display=display>{item_view.clone()(item)}</g> }
    })
}

/// Horizontal grid lines with their labels at `ticks`, in `plot` (both live: the
/// elements stay when the plot box moves).
pub fn y_grid(plot: Memo<Plot>, font: f64, ticks: Signal<Vec<(f64, String)>>) -> impl IntoView {
    let ticks = Memo::new(move |_| ticks.get());
    let rows = svg_slots(ticks, move |tick: Memo<Option<(f64, String)>>| {
        let y = move || tick.with(|t| t.as_ref().map_or(0.0, |t| t.0));
        let left = move || plot.with(|p| p.left);
        view! {
            <line x1=left x2=move || plot.with(|p| p.right) y1=y y2=y></line>
            <text x=move || left() - font * 0.4 y=y dy="0.35em" text-anchor="end" font-size=font>
                {move || tick.with(|t| t.as_ref().map(|t| t.1.clone()).unwrap_or_default())}
            </text>
        }
    });
    view! { <g class="grid">{rows}</g> }
}

/// Labels along the x axis at `ticks` (position, label), below `plot`.
pub fn x_labels(plot: Memo<Plot>, font: f64, ticks: Signal<Vec<(f64, String)>>) -> impl IntoView {
    let bottom = move || plot.with(|p| p.bottom);
    view! {
        <g class="axis-x">
            <line x1=move || plot.with(|p| p.left) x2=move || plot.with(|p| p.right) y1=bottom y2=bottom></line>
            {svg_slots(Memo::new(move |_| ticks.get()), move |tick: Memo<Option<(f64, String)>>| {
                // Labels at the ends stay inside the box.
                let anchor = move || {
                    let (left, right) = plot.with(|p| (p.left, p.right));
                    tick.with(|t| {
                        let Some((x, label)) = t else { return "middle" };
                        let half = font * 0.3 * label.chars().count() as f64;
                        if x - half < left - font {
                            "start"
                        } else if x + half > right + font * 0.5 {
                            "end"
                        } else {
                            "middle"
                        }
                    })
                };
                view! {
                    <text x=move || tick.with(|t| t.as_ref().map_or(0.0, |t| t.0)) y=move || bottom() + font * 1.3 text-anchor=anchor font-size=font>
                        {move || tick.with(|t| t.as_ref().map(|t| t.1.clone()).unwrap_or_default())}
                    </text>
                }
            })}
        </g>
    }
}

/// Tick labels for values: the widget's format when it writes few characters, else
/// compact labels with the decimals the step needs.
pub fn value_label(format: &NumberFormat, v: f64, step: f64) -> String {
    if format == &NumberFormat::default() {
        compact_tick(v, step)
    } else {
        format.format(v)
    }
}

/// The legend: one button per series; pressing one hides or shows its series.
pub fn legend(
    names: Signal<Vec<String>>,
    hidden: RwSignal<Vec<String>>,
    font: f64,
    interactive: bool,
) -> impl IntoView {
    let entries = move || names.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <div class="legend" style=format!("font-size:calc(100cqw * {font:.2} / var(--cw))")>
            <For each=entries key=|(i, n)| (*i, n.clone()) let:entry>
                {
                    let (i, name) = entry;
                    let key = name.clone();
                    let off = {
                        let key = key.clone();
                        move || hidden.with(|h| h.contains(&key))
                    };
                    let toggle = move |_| {
                        let key = key.clone();
                        hidden.update(|h| {
                            if let Some(at) = h.iter().position(|n| *n == key) {
                                h.remove(at);
                            } else {
                                h.push(key);
                            }
                        })
                    };
                    view! {
                        <button
                            class="legend-entry"
                            class:off=off.clone()
                            aria-pressed=move || (!off()).to_string()
                            disabled=!interactive
                            on:click=toggle
                        >
                            <span class="swatch" style=format!("background:{}", series_color(i))></span>
                            {name}
                        </button>
                    }
                }
            </For>
        </div>
    }
}

/// `text` safe inside SVG or HTML markup, as text or as a quoted attribute value.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Appends `v` with one decimal (`12.3`, `-0.5`), as `{:.1}` writes the coordinates a
/// chart draws, at the cost of integer digits instead of float formatting: a
/// 10,000-point path writes thousands of them on every update. Halves round away from
/// zero; what is not finite or beyond ±10^15 is written `0.0`.
pub fn push_tenths(out: &mut String, v: f64) {
    let t = (v * 10.0).round();
    if !t.is_finite() || t.abs() >= 1e16 {
        out.push_str("0.0");
        return;
    }
    let t = t as i64;
    if t < 0 {
        out.push('-');
    }
    let mut n = t.unsigned_abs();
    let mut buf = [0u8; 24];
    let mut i = buf.len() - 2;
    buf[i] = b'.';
    buf[i + 1] = b'0' + (n % 10) as u8;
    n /= 10;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("0.0"));
}

/// `v` with one decimal (see [`push_tenths`]).
pub fn tenths(v: f64) -> String {
    let mut out = String::with_capacity(8);
    push_tenths(&mut out, v);
    out
}

/// An SVG path through `points` (already in pixels); `None` values break the line.
pub fn line_path(points: impl Iterator<Item = Option<(f64, f64)>>) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for p in points {
        match p {
            Some((x, y)) => {
                d.push(if pen_down { 'L' } else { 'M' });
                push_tenths(&mut d, x);
                d.push(',');
                push_tenths(&mut d, y);
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_written_as_one_decimal_formatting_writes_them() {
        for k in -20_000..20_000 {
            // Off the halves, where the two ways of rounding agree.
            for v in [k as f64 / 10.0 + 0.013, k as f64 / 10.0 - 0.013] {
                // `{:.1}` keeps the sign of a value that rounds to zero (`-0.0`).
                let std = format!("{v:.1}").replace("-0.0", "0.0");
                assert_eq!(tenths(v), std, "{v}");
            }
        }
        assert_eq!(tenths(123_456_789.04), "123456789.0");
        assert_eq!(tenths(-0.0), "0.0");
        assert_eq!(tenths(f64::NAN), "0.0");
        assert_eq!(tenths(f64::INFINITY), "0.0");
        assert_eq!(tenths(1e300), "0.0");
        let mut d = String::from("M");
        push_tenths(&mut d, 3.25);
        assert_eq!(d, "M3.3", "a half rounds away from zero");
    }

    #[test]
    fn a_path_breaks_at_missing_values() {
        let d = line_path([Some((0.0, 1.0)), Some((2.0, 3.0)), None, Some((4.0, 5.0))].into_iter());
        assert_eq!(d, "M0.0,1.0L2.0,3.0M4.0,5.0");
    }
}
