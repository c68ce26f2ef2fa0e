//! Line and area chart: one or more number series over a time axis (or categories),
//! a visible window (last N points or last T seconds), a legend that hides series,
//! and a tooltip with the exact values where a person is in front of it.

use super::chart::{self, label_px, legend, series_color, value_label, Plot};
use super::format::DateFormat;
use super::inspect::{self, Edit};
use super::marks::{self, Mark};
use super::scale::{nice_ticks, time_ticks, Linear};
use super::strips::{Basis, Point, Strip, Strips};
use super::{Ctx, Kind};
use crate::model::{number, parse_instant, text_of, Accepts, Frame, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineChart {
    /// Fill below the lines.
    pub area: bool,
    /// Show the last N points (0: all).
    pub last_points: u32,
    /// Show the last T seconds of a time axis (0: all).
    pub last_seconds: u32,
    /// Start the value axis at zero.
    pub from_zero: bool,
    pub legend: bool,
}

impl Default for LineChart {
    fn default() -> Self {
        Self {
            area: false,
            last_points: 0,
            last_seconds: 0,
            from_zero: false,
            legend: true,
        }
    }
}

const SLOTS: &[Slot] = &[
    Slot {
        name: "x",
        label: "Time or category",
        accepts: Accepts::Time,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
    Slot {
        name: "y",
        label: "Values (one series each)",
        accepts: Accepts::Number,
        shape: Shape::PerRow,
        many: true,
        required: true,
    },
];

/// The series a chart draws, read from a frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    /// Unix ms on a time axis, the row's position on a category axis.
    pub xs: Vec<f64>,
    /// Category labels (empty on a time axis).
    pub categories: Vec<String>,
    pub time: bool,
    pub lines: Vec<(String, Vec<Option<f64>>)>,
    /// Which rows the points are, when that is all it takes to know them again: the
    /// frame's lineage and the absolute index of the first point, the rest following
    /// in order (`None` on a category axis, or when rows came out of time order).
    pub rows: Option<(u64, u64)>,
}

impl Series {
    /// The series of `frame` (every row read; a live chart keeps [`Columns`] instead).
    pub fn read(
        frame: &Frame,
        x: Option<&str>,
        ys: &[String],
        last_points: u32,
        last_seconds: u32,
    ) -> Series {
        let mut columns = Columns::default();
        columns.sync(frame, x, ys);
        columns.series(frame, x, ys, last_points, last_seconds)
    }

    /// The value range of the shown series.
    pub fn extent(&self, hidden: &[String]) -> Option<(f64, f64)> {
        let mut it = self
            .lines
            .iter()
            .filter(|(n, _)| !hidden.contains(n))
            .flat_map(|(_, v)| v.iter().flatten().copied());
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }
}

/// The x instants and y numbers of a frame's rows, each row read once: kept between
/// frames of one lineage, so an append reads only the rows it added and a chart of
/// 10,000 points does not parse 10,000 times on every new point.
#[derive(Debug, Default)]
pub struct Columns {
    /// What the columns were read for: the frame's lineage and the fields.
    lineage: u64,
    fields: (Option<String>, Vec<String>),
    /// The absolute index of the first row held (see [`crate::model::Lineage`]).
    first: u64,
    instants: VecDeque<Option<i64>>,
    ys: Vec<VecDeque<Option<f64>>>,
}

impl Columns {
    /// Brings the columns level with `frame`: drops the rows it dropped and reads the
    /// rows not read yet; reads every row of a frame of another lineage.
    pub fn sync(&mut self, frame: &Frame, x: Option<&str>, ys: &[String]) {
        let lineage = frame.lineage;
        let held_to = self.first + self.instants.len() as u64;
        let continues = self.lineage == lineage.id
            && lineage.first >= self.first
            && lineage.first + frame.rows.len() as u64 >= held_to
            && self.fields.0.as_deref() == x
            && self.fields.1 == ys;
        if !continues {
            *self = Columns {
                lineage: lineage.id,
                fields: (x.map(str::to_string), ys.to_vec()),
                first: lineage.first,
                instants: VecDeque::new(),
                ys: vec![VecDeque::new(); ys.len()],
            };
        }
        let gone = ((lineage.first - self.first) as usize).min(self.instants.len());
        self.instants.drain(..gone);
        for column in &mut self.ys {
            column.drain(..gone);
        }
        self.first = lineage.first;
        let held = self.instants.len();
        for row in &frame.rows[held..] {
            self.instants
                .push_back(x.and_then(|x| row.get(x)).and_then(parse_instant));
            for (column, y) in self.ys.iter_mut().zip(ys) {
                column.push_back(row.get(y).and_then(number));
            }
        }
    }

    /// The series to draw, in time order on a time axis, cut to the visible window.
    /// `frame` is the frame last synced (category labels are read from it).
    pub fn series(
        &self,
        frame: &Frame,
        x: Option<&str>,
        ys: &[String],
        last_points: u32,
        last_seconds: u32,
    ) -> Series {
        let n = self.instants.len().min(frame.rows.len());
        // The axis is a time axis when every x is an instant.
        let time = x.is_some() && n > 0 && self.instants.iter().all(Option::is_some);
        let mut order: Vec<usize> = (0..n).collect();
        let mut in_order = true;
        let mut xs: Vec<f64> = if time {
            self.instants
                .iter()
                .take(n)
                .map(|t| t.unwrap_or(0) as f64)
                .collect()
        } else {
            (0..n).map(|i| i as f64).collect()
        };
        // Time axes are drawn in time order, whatever order the rows came in.
        if time && xs.windows(2).any(|w| w[0] > w[1]) {
            order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
            xs = order.iter().map(|&i| xs[i]).collect();
            in_order = false;
        }
        let mut from = 0;
        if last_points > 0 && n > last_points as usize {
            from = n - last_points as usize;
        }
        if time && last_seconds > 0 {
            if let Some(&newest) = xs.last() {
                let since = newest - f64::from(last_seconds) * 1000.0;
                from = from.max(xs.partition_point(|&x| x < since));
            }
        }
        let rows = (time && in_order).then_some((self.lineage, self.first + from as u64));
        let order = &order[from..];
        xs.drain(..from);
        let categories = if time {
            Vec::new()
        } else {
            xs = (0..order.len()).map(|i| i as f64).collect();
            order
                .iter()
                .map(|&i| {
                    let raw = x.and_then(|x| frame.rows[i].get(x));
                    text_of(raw.unwrap_or(&serde_json::Value::Null))
                })
                .collect()
        };
        let lines = ys
            .iter()
            .zip(&self.ys)
            .map(|(y, column)| (y.clone(), order.iter().map(|&i| column[i]).collect()))
            .collect();
        Series {
            xs,
            categories,
            time,
            lines,
            rows,
        }
    }
}

/// What one render of the chart needs, in pixels.
#[derive(Debug, Clone, PartialEq, Default)]
struct Drawn {
    /// The strips of each shown series, in strip units (see `widgets/strips.rs`).
    lines: Vec<(usize, Vec<Strip>)>,
    /// Strip units to pixels of the strips' box, which starts at `clip_left`.
    transform: String,
    clip_left: f64,
    y_ticks: Vec<(f64, String)>,
    x_ticks: Vec<(f64, String)>,
    label_chars: usize,
}

impl Kind for LineChart {
    const NAME: &'static str = "line";
    const LABEL: &'static str = "Line / area";
    const ICON: &'static str = "∼";
    const SIZE: (i32, i32) = (760, 400);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if self.last_points > 100_000 {
            return Err(Invalid::new("last_points", "at most 100000 points"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let size = cx.size;
        let font = label_px(size);
        let x_field = cx.fields("x").first().cloned();
        let ys = cx.fields("y");
        let frame = cx.frame;
        let look = cx.look.clone();
        let interactive = cx.screen.interactive;
        let columns = StoredValue::new(Columns::default());
        let strips = StoredValue::new(Strips::default());
        let series = Memo::new(move |_| {
            frame.with(|f| {
                let Some(f) = f else {
                    return Series::default();
                };
                columns
                    .try_update_value(|c| {
                        let x = x_field.as_deref();
                        c.sync(f, x, &ys);
                        c.series(f, x, &ys, props.last_points, props.last_seconds)
                    })
                    .unwrap_or_default()
            })
        });
        let hidden = RwSignal::new(Vec::<String>::new());
        let show_legend = self.legend && cx.fields("y").len() > 1;
        let legend_h = if show_legend { font * 1.8 } else { 0.0 };
        let names = Signal::derive(move || {
            series.with(|s| s.lines.iter().map(|(n, _)| n.clone()).collect())
        });
        let area = self.area;
        let from_zero = self.from_zero || self.area;
        let time_format = look.time_format.clone();
        let number_format = look.format.clone();
        // The y labels' width decides the plot box; it is measured once per render.
        let drawn = Memo::new(move |_| {
            let hidden = hidden.get();
            series.with(|s| {
                strips
                    .try_update_value(|strips| {
                        draw(
                            s,
                            &hidden,
                            size,
                            font,
                            legend_h,
                            from_zero,
                            area,
                            &number_format,
                            &time_format,
                            strips,
                        )
                    })
                    .unwrap_or_default()
            })
        });
        let plot = Memo::new(move |_| {
            drawn.with(|d| Plot::inside(size, font, d.label_chars, true, legend_h))
        });
        let hover = RwSignal::new(None::<usize>);
        let tooltip_format = look.format.clone();
        let tooltip_time = look.time_format.clone();
        let tooltip = Memo::new(move |_| {
            let i = hover.get()?;
            series.with(|s| {
                let x = *s.xs.get(i)?;
                let when = if s.time {
                    tooltip_time.format(x as i64)
                } else {
                    s.categories.get(i).cloned().unwrap_or_default()
                };
                let values: Vec<(usize, String, String)> = s
                    .lines
                    .iter()
                    .enumerate()
                    .map(|(k, (n, v))| {
                        (
                            k,
                            n.clone(),
                            v.get(i)
                                .copied()
                                .flatten()
                                .map(|v| tooltip_format.format(v))
                                .unwrap_or_else(|| "—".into()),
                        )
                    })
                    .collect();
                let p = plot.get();
                let (lo, hi) = (
                    s.xs.first().copied().unwrap_or(0.0),
                    s.xs.last().copied().unwrap_or(1.0),
                );
                let px = Linear::new((lo, hi), (p.left, p.right)).map(x);
                Some((px, when, values))
            })
        });
        let on_move = move |ev: leptos::ev::PointerEvent| {
            if !interactive {
                return;
            }
            let Some(rel) = relative_x(&ev) else { return };
            let p = plot.get_untracked();
            let x = rel * size.0;
            series.with_untracked(|s| {
                if s.xs.is_empty() {
                    return;
                }
                let (lo, hi) = (s.xs[0], *s.xs.last().unwrap_or(&s.xs[0]));
                let want = Linear::new((p.left, p.right), (lo, hi)).map(x);
                let i = s.xs.partition_point(|&v| v < want);
                let i = if i > 0 && (i == s.xs.len() || (want - s.xs[i - 1]) < (s.xs[i] - want)) {
                    i - 1
                } else {
                    i
                };
                hover.set(Some(i.min(s.xs.len() - 1)));
            });
        };
        let on_key = move |ev: leptos::ev::KeyboardEvent| {
            let n = series.with_untracked(|s| s.xs.len());
            if n == 0 {
                return;
            }
            let next = match (ev.key().as_str(), hover.get_untracked()) {
                ("ArrowLeft", Some(i)) => i.saturating_sub(1),
                ("ArrowRight", Some(i)) => (i + 1).min(n - 1),
                ("ArrowLeft" | "ArrowRight", None) => n - 1,
                ("Escape", _) => {
                    hover.set(None);
                    return;
                }
                _ => return,
            };
            ev.prevent_default();
            hover.set(Some(next));
        };
        let (w, h) = size;
        view! {
            <div class="chart line-chart">
                {show_legend.then(|| legend(names, hidden, font, interactive))}
                <svg
                    viewBox=format!("0 0 {w:.1} {h:.1}")
                    role="img"
                    aria-label="line chart"
                    tabindex=interactive.then_some("0")
                    on:pointermove=on_move
                    on:pointerleave=move |_| hover.set(None)
                    on:keydown=on_key
                    on:blur=move |_| hover.set(None)
                >
                    // Built once: the plot box moves (the y labels' width changes) in
                    // the elements' attributes, not by rebuilding them.
                    {chart::y_grid(plot, font, Signal::derive(move || drawn.with(|d| d.y_ticks.clone())))}
                    {chart::x_labels(plot, font, Signal::derive(move || drawn.with(|d| d.x_ticks.clone())))}
                    // The strips' box: the plot and what is right of it, so a strip
                    // reaching left of the shown window is cut at the axis.
                    <svg
                        class="strips"
                        x=move || drawn.with(|d| d.clip_left)
                        y="0"
                        width=move || drawn.with(|d| (w - d.clip_left).max(0.0))
                        height=h
                        overflow="hidden"
                    >
                        <g transform=move || drawn.with(|d| d.transform.clone())>
                            <For each=move || drawn.with(|d| d.lines.iter().map(|(i, _)| *i).collect::<Vec<_>>()) key=|i| *i let:i>
                                {marks::group("line-series", Memo::new(move |_| {
                                    drawn.with(|d| {
                                        d.lines.iter().find(|l| l.0 == i).map(|(_, strips)| series_marks(i, strips)).unwrap_or_default()
                                    })
                                }))}
                            </For>
                        </g>
                    </svg>
                    {move || tooltip.get().map(|(x, _, _)| {
                        let p = plot.get();
                        view! { <line class="hover-rule" x1=x x2=x y1=p.top y2=p.bottom></line> }
                    })}
                </svg>
                {move || tooltip.get().map(|(x, when, values)| {
                    let left = format!("left:{:.2}%", (x / size.0 * 100.0).clamp(0.0, 100.0));
                    view! {
                        <div class="tooltip" role="tooltip" style=left>
                            <div class="tooltip-when">{when}</div>
                            {values.into_iter().map(|(k, name, v)| view! {
                                <div><span class="swatch" style=format!("background:{}", series_color(k))></span>{name}": "<b>{v}</b></div>
                            }).collect_view()}
                        </div>
                    }
                })}
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::check(edit, "Fill the area below", "area", |p| p.area, |p, v| p.area = v)}
            {inspect::check(edit, "Start at zero", "from_zero", |p| p.from_zero, |p, v| p.from_zero = v)}
            {inspect::check(edit, "Legend", "legend", |p| p.legend, |p, v| p.legend = v)}
            {inspect::number(edit, "Show the last N points (0: all)", "last_points", |p| f64::from(p.last_points), |p, v| p.last_points = v.clamp(0.0, 100_000.0) as u32)}
            {inspect::number(edit, "Show the last T seconds (0: all)", "last_seconds", |p| f64::from(p.last_seconds), |p, v| p.last_seconds = v.clamp(0.0, 1e8) as u32)}
        }
        .into_any()
    }
}

/// Where the pointer is across the event's element, from 0 to 1.
pub fn relative_x(ev: &leptos::ev::PointerEvent) -> Option<f64> {
    use wasm_bindgen::JsCast;
    let el = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let r = el.get_bounding_client_rect();
    (r.width() > 0.0).then(|| (f64::from(ev.client_x()) - r.left()) / r.width())
}

#[allow(clippy::too_many_arguments)]
fn draw(
    s: &Series,
    hidden: &[String],
    size: (f64, f64),
    font: f64,
    top: f64,
    from_zero: bool,
    area: bool,
    number_format: &crate::widgets::format::NumberFormat,
    time_format: &DateFormat,
    strips: &mut Strips,
) -> Drawn {
    let Some((mut lo, mut hi)) = s.extent(hidden) else {
        return Drawn::default();
    };
    if from_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let ticks = nice_ticks(lo, hi, ((size.1 / (font * 3.0)) as usize).clamp(2, 8));
    let step = if ticks.len() > 1 {
        ticks[1] - ticks[0]
    } else {
        1.0
    };
    let labels: Vec<String> = ticks
        .iter()
        .map(|&t| value_label(number_format, t, step))
        .collect();
    let label_chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    let plot = Plot::inside(size, font, label_chars, true, top);
    let (d0, d1) = (
        ticks.first().copied().unwrap_or(lo),
        ticks.last().copied().unwrap_or(hi),
    );
    let y = plot.y_scale(d0, d1);
    let (x0, x1) = (
        s.xs.first().copied().unwrap_or(0.0),
        s.xs.last().copied().unwrap_or(1.0),
    );
    let x = plot.x_scale(x0, x1);
    let y_ticks = ticks
        .iter()
        .zip(labels)
        .map(|(&t, l)| (y.map(t), l))
        .collect();
    let max_x_ticks = ((plot.width() / (font * 7.0)) as usize).clamp(2, 12);
    let x_ticks = if s.time {
        let (ticks, step) = time_ticks(x0 as i64, x1 as i64, max_x_ticks);
        let fmt = DateFormat {
            pattern: step.label_pattern().to_string(),
            zone: time_format.zone.clone(),
        };
        ticks
            .into_iter()
            .map(|t| (x.map(t as f64), fmt.format(t)))
            .collect()
    } else {
        let every = s.categories.len().div_ceil(max_x_ticks).max(1);
        s.categories
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
            .map(|(i, c)| (x.map(i as f64), truncate(c, 14)))
            .collect()
    };
    // Areas close at zero (an area chart's value axis always holds it). Not `clamp`:
    // it panics on bounds out of order.
    let base = 0f64.max(d0).min(d1);
    let fresh = Basis::fresh((x0, x1), plot.width(), (d0, d1), s.xs.len(), base);
    let basis = strips.basis(fresh, (x0, x1), (d0, d1));
    let shown: Vec<(usize, Vec<Point>)> = s
        .lines
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| !hidden.contains(n))
        .map(|(i, (_, values))| {
            let points =
                s.xs.iter()
                    .zip(values)
                    .enumerate()
                    .filter_map(|(j, (&xv, v))| v.map(|v| (j, xv, v)))
                    .collect();
            (i, points)
        })
        .collect();
    let lines = strips.draw(&basis, &shown, s.rows, area);
    // The box starts a little left of the plot, so a stroke on the first point shows.
    let clip_left = (plot.left - font * 0.3).max(0.0);
    Drawn {
        lines,
        transform: basis.transform(&x, &y, (clip_left, 0.0)),
        clip_left,
        y_ticks,
        x_ticks,
        label_chars,
    }
}

/// Series `i`'s strips as marks: its areas below, then its lines.
fn series_marks(i: usize, strips: &[Strip]) -> Vec<Mark> {
    let color = series_color(i);
    // Areas of several strips meet edge to edge: drawn without anti-aliasing, their
    // joins leave no seam (the line above hides the stepped top edge).
    let rendering = if strips.len() > 1 {
        "crispEdges"
    } else {
        "auto"
    };
    let areas = strips.iter().filter_map(|s| s.area.as_ref()).map(|d| {
        Mark::new("path")
            .attr("class", "area")
            .attr("d", d.as_str())
            .attr("fill", color.as_str())
            .attr("shape-rendering", rendering)
    });
    let lines = strips.iter().map(|s| {
        Mark::new("path")
            .attr("class", "series")
            .attr("d", s.line.as_str())
            .attr("stroke", color.as_str())
            .attr("data-series", i.to_string())
    });
    areas.chain(lines).collect()
}

pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatasetId;
    use serde_json::json;

    fn frame(rows: serde_json::Value) -> Frame {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        f
    }

    #[test]
    fn a_time_axis_is_ordered_and_windowed() {
        let f = frame(json!([
            {"t": "2024-01-01T00:00:03Z", "v": 3},
            {"t": "2024-01-01T00:00:01Z", "v": 1},
            {"t": "2024-01-01T00:00:02Z", "v": 2},
        ]));
        let s = Series::read(&f, Some("t"), &["v".into()], 0, 0);
        assert!(s.time);
        assert_eq!(s.lines[0].1, vec![Some(1.0), Some(2.0), Some(3.0)]);
        let last2 = Series::read(&f, Some("t"), &["v".into()], 2, 0);
        assert_eq!(last2.lines[0].1, vec![Some(2.0), Some(3.0)]);
        let last_second = Series::read(&f, Some("t"), &["v".into()], 0, 1);
        assert_eq!(last_second.lines[0].1, vec![Some(2.0), Some(3.0)]);
    }

    #[test]
    fn a_text_axis_is_a_category_axis_in_row_order() {
        let f = frame(json!([{"m": "Jan", "a": 1, "b": "2"}, {"m": "Feb", "a": null, "b": 4}]));
        let s = Series::read(&f, Some("m"), &["a".into(), "b".into()], 0, 0);
        assert!(!s.time);
        assert_eq!(s.categories, vec!["Jan", "Feb"]);
        assert_eq!(s.lines[0].1, vec![Some(1.0), None]);
        assert_eq!(s.lines[1].1, vec![Some(2.0), Some(4.0)]);
        assert_eq!(s.extent(&[]), Some((1.0, 4.0)));
        assert_eq!(s.extent(&["b".into()]), Some((1.0, 1.0)));
    }

    #[test]
    fn ten_thousand_points_draw_a_path_the_width_of_the_plot() {
        let rows: Vec<serde_json::Value> = (0..10_000)
            .map(|i| json!({"t": 1_700_000_000_000_i64 + i * 1000, "v": (i % 97) as f64}))
            .collect();
        let f = frame(serde_json::Value::Array(rows));
        let s = Series::read(&f, Some("t"), &["v".into()], 0, 0);
        let d = draw_plain(&s, &mut Strips::default());
        let strips = &d.lines[0].1;
        let segments: usize = strips.iter().map(|s| s.line.matches('L').count()).sum();
        assert!(segments < 4 * 800, "{segments} segments");
        assert!(strips.len() > 4, "{} strips", strips.len());
        assert!(!d.y_ticks.is_empty() && !d.x_ticks.is_empty());
    }

    fn draw_plain(s: &Series, strips: &mut Strips) -> Drawn {
        draw(
            s,
            &[],
            (800.0, 400.0),
            14.0,
            0.0,
            false,
            true,
            &Default::default(),
            &Default::default(),
            strips,
        )
    }

    #[test]
    fn an_append_redraws_the_last_strip_only_and_a_drop_the_first() {
        use crate::model::Append;
        let row = |i: i64| {
            let v = ((i * 7919) % 1000) as f64;
            json!({"t": 1_700_000_000_000_i64 + i * 1000, "v": v})
                .as_object()
                .unwrap()
                .clone()
        };
        let mut f = Frame::new(
            DatasetId::parse("d").unwrap(),
            1,
            (0..5000).map(row).collect(),
            0,
        );
        let (x, ys) = (Some("t"), vec!["v".to_string()]);
        let mut columns = Columns::default();
        let mut strips = Strips::default();
        columns.sync(&f, x, &ys);
        let mut was = draw_plain(&columns.series(&f, x, &ys, 0, 0), &mut strips);
        for (seq, drop) in [(2, 0), (3, 0), (4, 3)] {
            let append = Append {
                dataset: f.dataset.clone(),
                seq,
                drop,
                rows: vec![row(4998 + seq as i64)],
                updated_at_ms: 0,
            };
            assert!(f.append_in_place(&append));
            columns.sync(&f, x, &ys);
            let series = columns.series(&f, x, &ys, 0, 0);
            let now = draw_plain(&series, &mut strips);
            let (before, after) = (&was.lines[0].1, &now.lines[0].1);
            assert_eq!(before.len(), after.len(), "seq {seq}");
            let changed: Vec<usize> = (0..after.len())
                .filter(|&i| before[i] != after[i])
                .collect();
            let expected = if drop > 0 {
                vec![0, after.len() - 1]
            } else {
                vec![after.len() - 1]
            };
            assert_eq!(changed, expected, "strips redrawn after seq {seq}");
            assert_ne!(was.transform, now.transform, "the axis moved");
            // What was kept is what drawing every strip anew in the same units gives.
            let mut anew = strips.units_only();
            assert_eq!(draw_plain(&series, &mut anew), now, "seq {seq}");
            was = now;
        }
    }

    #[test]
    fn kept_columns_read_only_new_rows_and_agree_with_a_full_read() {
        use crate::model::Append;
        let row = |i: i64| {
            json!({"t": 1_700_000_000_000_i64 + i * 1000, "v": i})
                .as_object()
                .unwrap()
                .clone()
        };
        let mut f = Frame::new(
            DatasetId::parse("d").unwrap(),
            1,
            (0..5).map(row).collect(),
            0,
        );
        let (x, ys) = (Some("t"), vec!["v".to_string()]);
        let mut kept = Columns::default();
        kept.sync(&f, x, &ys);
        for (seq, drop) in [(2, 0), (3, 2), (4, 10)] {
            let append = Append {
                dataset: f.dataset.clone(),
                seq,
                drop,
                rows: vec![row(seq as i64 * 10), row(seq as i64 * 10 + 1)],
                updated_at_ms: 0,
            };
            assert!(f.append_in_place(&append));
            kept.sync(&f, x, &ys);
            assert_eq!(kept.instants.len(), f.rows.len());
            assert_eq!(
                kept.series(&f, x, &ys, 0, 0),
                Series::read(&f, x, &ys, 0, 0),
                "after the append of seq {seq}"
            );
        }
        // Rows changed in place under the same lineage would be missed, so the
        // columns are only trusted for frames of their lineage: a new frame with the
        // same number of rows is read whole.
        let mut other = Frame::new(f.dataset.clone(), 9, f.rows.clone(), 0);
        other.rows[0] = row(-5);
        kept.sync(&other, x, &ys);
        assert_eq!(
            kept.series(&other, x, &ys, 0, 0),
            Series::read(&other, x, &ys, 0, 0)
        );
        assert_eq!(kept.series(&other, x, &ys, 0, 0).lines[0].1[0], Some(-5.0));
    }
}
