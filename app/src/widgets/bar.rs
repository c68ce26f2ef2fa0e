//! Bar and column chart: categories with one or more value series, vertical or
//! horizontal, grouped or stacked, with value labels and sorting.

use super::chart::{label_px, legend, series_color, svg_slots, tenths, value_label, Plot};
use super::inspect::{self, Edit};
use super::line::truncate;
use super::marks::{self, Mark};
use super::scale::{nice_ticks, Linear};
use super::{Ctx, Kind};
use crate::model::{number, text_of, Accepts, Frame, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BarChart {
    pub horizontal: bool,
    pub stacked: bool,
    pub labels: bool,
    pub sort: Sort,
    /// Most categories shown (the rest are left out, after sorting).
    pub max_bars: u32,
    pub legend: bool,
}

impl Default for BarChart {
    fn default() -> Self {
        Self {
            horizontal: false,
            stacked: false,
            labels: true,
            sort: Sort::None,
            max_bars: 30,
            legend: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    None,
    Ascending,
    Descending,
}

const SLOTS: &[Slot] = &[
    Slot {
        name: "category",
        label: "Category",
        accepts: Accepts::Any,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
    Slot {
        name: "values",
        label: "Values (one series each)",
        accepts: Accepts::Number,
        shape: Shape::PerRow,
        many: true,
        required: true,
    },
];

/// Categories and their values per series, sorted and cut.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bars {
    pub categories: Vec<String>,
    pub series: Vec<String>,
    /// `values[category][series]`.
    pub values: Vec<Vec<f64>>,
}

impl Bars {
    pub fn read(
        frame: &Frame,
        category: Option<&str>,
        series: &[String],
        sort: Sort,
        max: usize,
        hidden: &[String],
    ) -> Bars {
        let mut rows: Vec<(String, Vec<f64>)> = frame
            .rows
            .iter()
            .map(|r| {
                let c = category
                    .and_then(|c| r.get(c))
                    .map(text_of)
                    .unwrap_or_default();
                let v = series
                    .iter()
                    .map(|s| {
                        if hidden.contains(s) {
                            0.0
                        } else {
                            r.get(s).and_then(number).unwrap_or(0.0)
                        }
                    })
                    .collect();
                (c, v)
            })
            .collect();
        let total = |v: &Vec<f64>| v.iter().sum::<f64>();
        match sort {
            Sort::None => {}
            Sort::Ascending => rows.sort_by(|a, b| total(&a.1).total_cmp(&total(&b.1))),
            Sort::Descending => rows.sort_by(|a, b| total(&b.1).total_cmp(&total(&a.1))),
        }
        rows.truncate(max.max(1));
        Bars {
            categories: rows.iter().map(|r| r.0.clone()).collect(),
            series: series.to_vec(),
            values: rows.into_iter().map(|r| r.1).collect(),
        }
    }

    /// The value range the axis must cover.
    pub fn extent(&self, stacked: bool) -> (f64, f64) {
        let mut lo: f64 = 0.0;
        let mut hi: f64 = 0.0;
        for vs in &self.values {
            if stacked {
                lo = lo.min(vs.iter().filter(|v| **v < 0.0).sum());
                hi = hi.max(vs.iter().filter(|v| **v > 0.0).sum());
            } else {
                for &v in vs {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        (lo, hi)
    }
}

/// One drawn bar; the whole of it is its key, so a bar that did not change keeps its
/// element and a changed one is redrawn alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BarRect {
    key: String,
    series: usize,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
    label: String,
    label_at: (i64, i64),
    tip: String,
}

/// Tenths of a design pixel, so rectangles can be keys.
fn tenth(v: f64) -> i64 {
    (v * 10.0).round() as i64
}

fn px(v: i64) -> String {
    tenths(v as f64 / 10.0)
}

impl Kind for BarChart {
    const NAME: &'static str = "bar";
    const LABEL: &'static str = "Bar / column";
    const ICON: &'static str = "▥";
    const SIZE: (i32, i32) = (640, 400);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if !(1..=500).contains(&self.max_bars) {
            return Err(Invalid::new("max_bars", "1 to 500 bars"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let size = cx.size;
        let font = label_px(size);
        let category = cx.fields("category").first().cloned();
        let series_fields = cx.fields("values");
        let show_legend = props.legend && series_fields.len() > 1;
        let legend_h = if show_legend { font * 1.8 } else { 0.0 };
        let frame = cx.frame;
        let look = cx.look.clone();
        let hidden = RwSignal::new(Vec::<String>::new());
        let names = {
            let s = series_fields.clone();
            Signal::derive(move || s.clone())
        };
        let drawn = Memo::new(move |_| {
            let hidden = hidden.get();
            let bars = frame.with(|f| {
                f.as_ref()
                    .map(|f| {
                        Bars::read(
                            f,
                            category.as_deref(),
                            &series_fields,
                            props.sort,
                            props.max_bars as usize,
                            &hidden,
                        )
                    })
                    .unwrap_or_default()
            });
            layout(&bars, &props, &look, size, font, legend_h)
        });
        let interactive = cx.screen.interactive;
        let bars = Memo::new(move |_| drawn.with(|d| bar_marks(&d.0, font, interactive)));
        let ticks = Memo::new(move |_| drawn.with(|d| d.1.clone()));
        let cats = Memo::new(move |_| drawn.with(|d| category_marks(&d.2, font)));
        let (w, h) = size;
        view! {
            <div class="chart bar-chart">
                {show_legend.then(|| legend(names, hidden, font, cx.screen.interactive))}
                <svg viewBox=format!("0 0 {w:.1} {h:.1}") role="img" aria-label="bar chart">
                    <g class="grid">
                        {svg_slots(ticks, move |t: Memo<Option<Tick>>| {
                            let at = move |f: fn(&Tick) -> i64| move || t.with(|t| t.as_ref().map(|t| px(f(t))));
                            view! {
                                <line x1=at(|t| t.0) x2=at(|t| t.1) y1=at(|t| t.2) y2=at(|t| t.3)></line>
                                <text x=at(|t| t.4.0) y=at(|t| t.4.1) dy="0.35em" text-anchor=move || t.with(|t| t.as_ref().map_or("middle", |t| t.6)) font-size=font>
                                    {move || t.with(|t| t.as_ref().map(|t| t.5.clone()).unwrap_or_default())}
                                </text>
                            }
                        })}
                    </g>
                    {marks::group("bars", bars)}
                    {marks::group("categories", cats)}
                </svg>
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        const SORT: &[(Sort, &str, &str)] = &[
            (Sort::None, "none", "As in the data"),
            (Sort::Descending, "desc", "Largest first"),
            (Sort::Ascending, "asc", "Smallest first"),
        ];
        view! {
            {inspect::check(edit, "Horizontal bars", "horizontal", |p| p.horizontal, |p, v| p.horizontal = v)}
            {inspect::check(edit, "Stack the series", "stacked", |p| p.stacked, |p, v| p.stacked = v)}
            {inspect::check(edit, "Value labels", "labels", |p| p.labels, |p, v| p.labels = v)}
            {inspect::check(edit, "Legend", "legend", |p| p.legend, |p, v| p.legend = v)}
            {inspect::choice(edit, "Order", "sort", SORT, |p| p.sort, |p, v| p.sort = v)}
            {inspect::number(edit, "Most bars", "max_bars", |p| f64::from(p.max_bars), |p, v| p.max_bars = v.clamp(1.0, 500.0) as u32)}
        }
        .into_any()
    }
}

type Tick = (i64, i64, i64, i64, (i64, i64), String, &'static str);

/// The bars and their value labels as marks. Tooltips (`title`) only where a person
/// can point at them (not on kiosks).
fn bar_marks(rects: &[BarRect], font: f64, tooltips: bool) -> Vec<Mark> {
    let mut out = Vec::with_capacity(rects.len() * 2);
    for b in rects {
        out.push(
            Mark::new("rect")
                .attr("x", px(b.x))
                .attr("y", px(b.y))
                .attr("width", px(b.w))
                .attr("height", px(b.h))
                .attr("fill", series_color(b.series))
                .attr("rx", "2")
                .title(tooltips.then(|| b.tip.clone())),
        );
        out.push(
            Mark::new("text")
                .attr("class", "bar-label")
                .attr("x", px(b.label_at.0))
                .attr("y", px(b.label_at.1))
                .attr("dy", "0.35em")
                .attr("text-anchor", "middle")
                .attr("font-size", font.to_string())
                .text(b.label.clone()),
        );
    }
    out
}

/// The category labels as marks.
fn category_marks(cats: &[CategoryLabel], font: f64) -> Vec<Mark> {
    cats.iter()
        .map(|(x, y, label, anchor)| {
            Mark::new("text")
                .attr("x", px(*x))
                .attr("y", px(*y))
                .attr("dy", "0.35em")
                .attr("text-anchor", *anchor)
                .attr("font-size", font.to_string())
                .text(label.clone())
        })
        .collect()
}
type CategoryLabel = (i64, i64, String, &'static str);

fn layout(
    bars: &Bars,
    props: &BarChart,
    look: &crate::model::Look,
    size: (f64, f64),
    font: f64,
    top: f64,
) -> (Vec<BarRect>, Vec<Tick>, Vec<CategoryLabel>) {
    if bars.categories.is_empty() {
        return Default::default();
    }
    let (lo, hi) = bars.extent(props.stacked);
    let ticks = nice_ticks(lo, hi, 5);
    let step = if ticks.len() > 1 {
        ticks[1] - ticks[0]
    } else {
        1.0
    };
    let labels: Vec<String> = ticks
        .iter()
        .map(|&t| value_label(&look.format, t, step))
        .collect();
    let (d0, d1) = (
        ticks.first().copied().unwrap_or(lo),
        ticks.last().copied().unwrap_or(hi),
    );
    let n = bars.categories.len();
    let k = bars.series.len().max(1);
    let mut rects = Vec::new();
    let mut grid = Vec::new();
    let mut cats = Vec::new();
    let cat_chars = bars
        .categories
        .iter()
        .map(|c| c.chars().count().min(16))
        .max()
        .unwrap_or(1);
    if props.horizontal {
        let plot = Plot {
            left: (font * 0.6 * cat_chars as f64 + font).min(size.0 * 0.4),
            top: top + font * 0.4,
            right: size.0 - font * 2.5,
            bottom: size.1 - font * 1.8,
        };
        let v = Linear::new((d0, d1), (plot.left, plot.right));
        for (t, l) in ticks.iter().zip(&labels) {
            let x = v.map(*t);
            grid.push((
                tenth(x),
                tenth(x),
                tenth(plot.top),
                tenth(plot.bottom),
                (tenth(x), tenth(plot.bottom + font * 0.9)),
                l.clone(),
                "middle",
            ));
        }
        let band = plot.height() / n as f64;
        for (i, (cat, values)) in bars.categories.iter().zip(&bars.values).enumerate() {
            let y0 = plot.top + band * i as f64 + band * 0.12;
            let bh = band * 0.76;
            cats.push((
                tenth(plot.left - font * 0.4),
                tenth(y0 + bh / 2.0),
                truncate(cat, 16),
                "end",
            ));
            let (mut pos, mut neg) = (0.0, 0.0);
            for (s, &val) in values.iter().enumerate() {
                let (a, b, y, hgt) = if props.stacked {
                    let base = if val >= 0.0 { &mut pos } else { &mut neg };
                    let a = *base;
                    *base += val;
                    (a, *base, y0, bh)
                } else {
                    (0.0, val, y0 + bh / k as f64 * s as f64, bh / k as f64)
                };
                let (x0, x1) = (v.map(a.min(b)), v.map(a.max(b)));
                let label = if props.labels && !props.stacked {
                    look.format.format(val)
                } else {
                    String::new()
                };
                rects.push(BarRect {
                    key: format!("{cat}\u{1f}{s}"),
                    series: s,
                    x: tenth(x0),
                    y: tenth(y),
                    w: tenth((x1 - x0).max(0.5)),
                    h: tenth(hgt * 0.94),
                    label_at: (
                        tenth(x1 + font * 0.3 + font * 0.3 * label.chars().count() as f64),
                        tenth(y + hgt / 2.0),
                    ),
                    label,
                    tip: format!(
                        "{cat} · {}: {}",
                        bars.series.get(s).cloned().unwrap_or_default(),
                        look.format.format(val)
                    ),
                });
            }
        }
    } else {
        let label_chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(1);
        let plot = Plot::inside(size, font, label_chars, true, top + font * 0.8);
        let v = Linear::new((d0, d1), (plot.bottom, plot.top));
        for (t, l) in ticks.iter().zip(&labels) {
            let y = v.map(*t);
            grid.push((
                tenth(plot.left),
                tenth(plot.right),
                tenth(y),
                tenth(y),
                (tenth(plot.left - font * 0.4), tenth(y)),
                l.clone(),
                "end",
            ));
        }
        let band = plot.width() / n as f64;
        let every = ((n as f64 * font * 0.6 * cat_chars.min(10) as f64) / plot.width())
            .ceil()
            .max(1.0) as usize;
        for (i, (cat, values)) in bars.categories.iter().zip(&bars.values).enumerate() {
            let x0 = plot.left + band * i as f64 + band * 0.12;
            let bw = band * 0.76;
            if i % every == 0 {
                cats.push((
                    tenth(x0 + bw / 2.0),
                    tenth(plot.bottom + font * 0.9),
                    truncate(cat, 10),
                    "middle",
                ));
            }
            let (mut pos, mut neg) = (0.0, 0.0);
            for (s, &val) in values.iter().enumerate() {
                let (a, b, x, wid) = if props.stacked {
                    let base = if val >= 0.0 { &mut pos } else { &mut neg };
                    let a = *base;
                    *base += val;
                    (a, *base, x0, bw)
                } else {
                    (0.0, val, x0 + bw / k as f64 * s as f64, bw / k as f64)
                };
                let (y0, y1) = (v.map(a.max(b)), v.map(a.min(b)));
                let label = if props.labels && !props.stacked && wid > font * 1.2 {
                    look.format.format(val)
                } else {
                    String::new()
                };
                rects.push(BarRect {
                    key: format!("{cat}\u{1f}{s}"),
                    series: s,
                    x: tenth(x),
                    y: tenth(y0),
                    w: tenth(wid * 0.94),
                    h: tenth((y1 - y0).max(0.5)),
                    label_at: (tenth(x + wid / 2.0), tenth(y0 - font * 0.7)),
                    label,
                    tip: format!(
                        "{cat} · {}: {}",
                        bars.series.get(s).cloned().unwrap_or_default(),
                        look.format.format(val)
                    ),
                });
            }
        }
    }
    (rects, grid, cats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatasetId;
    use serde_json::json;

    #[test]
    fn bar_markup_escapes_what_the_data_says() {
        let mut f = frame();
        f.rows[0].insert("r".into(), json!("<script>alert(1)</script>\" onload=\"x"));
        let series = vec!["a".to_string()];
        let bars = Bars::read(&f, Some("r"), &series, Sort::None, 30, &[]);
        let props = BarChart::default();
        let (rects, _, cats) = layout(
            &bars,
            &props,
            &Default::default(),
            (640.0, 400.0),
            14.0,
            0.0,
        );
        let markup = marks::markup(&bar_marks(&rects, 14.0, true))
            + &marks::markup(&category_marks(&cats, 14.0));
        assert_eq!(markup.matches("<rect ").count(), 3, "{markup}");
        assert_eq!(markup.matches("<title>").count(), 3, "{markup}");
        let kiosk = marks::markup(&bar_marks(&rects, 14.0, false));
        assert_eq!(kiosk.matches("<rect ").count(), 3, "{kiosk}");
        assert!(!kiosk.contains("<title>"), "{kiosk}");
        assert!(
            !markup.contains("<script") && !markup.contains("\" onload"),
            "{markup}"
        );
        assert!(
            markup.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x"),
            "{markup}"
        );
    }

    fn frame() -> Frame {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = json!([{"r": "eu", "a": 3, "b": 1}, {"r": "us", "a": 5, "b": -2}, {"r": "asia", "a": 1, "b": 9}])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_object().unwrap().clone())
            .collect();
        f
    }

    #[test]
    fn bars_sort_by_their_total_and_keep_the_largest() {
        let series = vec!["a".to_string(), "b".to_string()];
        let b = Bars::read(&frame(), Some("r"), &series, Sort::Descending, 2, &[]);
        assert_eq!(b.categories, vec!["asia", "eu"]);
        let hidden = Bars::read(
            &frame(),
            Some("r"),
            &series,
            Sort::Descending,
            3,
            &["b".into()],
        );
        assert_eq!(hidden.categories, vec!["us", "eu", "asia"]);
    }

    #[test]
    fn stacked_extents_add_up_signs_separately() {
        let series = vec!["a".to_string(), "b".to_string()];
        let b = Bars::read(&frame(), Some("r"), &series, Sort::None, 10, &[]);
        assert_eq!(b.extent(false), (-2.0, 9.0));
        assert_eq!(b.extent(true), (-2.0, 10.0));
    }

    #[test]
    fn every_category_and_series_gets_a_bar_inside_the_box() {
        let series = vec!["a".to_string(), "b".to_string()];
        let b = Bars::read(&frame(), Some("r"), &series, Sort::None, 10, &[]);
        for horizontal in [false, true] {
            for stacked in [false, true] {
                let props = BarChart {
                    horizontal,
                    stacked,
                    ..BarChart::default()
                };
                let (rects, ticks, cats) =
                    layout(&b, &props, &Default::default(), (600.0, 300.0), 14.0, 0.0);
                assert_eq!(rects.len(), 6);
                assert!(!ticks.is_empty() && !cats.is_empty());
                for r in rects {
                    assert!(
                        r.x >= 0 && r.y >= 0 && r.x + r.w <= 6000 && r.y + r.h <= 3000,
                        "{r:?}"
                    );
                }
            }
        }
    }
}
