//! Pie and donut: shares of a whole, the largest N slices and "Other" for the tail,
//! with a legend of labels, values and percentages.

use super::chart::{by_index, label_px, series_color};
use super::inspect::{self, Edit};
use super::line::truncate;
use super::{Ctx, Kind};
use crate::model::{number, text_of, Accepts, Frame, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PieChart {
    pub donut: bool,
    /// Slices shown before the rest become "Other".
    pub max_slices: u32,
    pub legend: bool,
    pub percentages: bool,
}

impl Default for PieChart {
    fn default() -> Self {
        Self {
            donut: true,
            max_slices: 6,
            legend: true,
            percentages: true,
        }
    }
}

const SLOTS: &[Slot] = &[
    Slot {
        name: "label",
        label: "Label",
        accepts: Accepts::Any,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
    Slot {
        name: "value",
        label: "Value",
        accepts: Accepts::Number,
        shape: Shape::PerRow,
        many: false,
        required: true,
    },
];

/// Slices, largest first, with the tail beyond `max` summed into "Other" (with the
/// data's own "Other" category, if it has one). Negative and missing values have no
/// share and are left out.
pub fn slices(
    frame: &Frame,
    label: Option<&str>,
    value: Option<&str>,
    max: usize,
) -> Vec<(String, f64)> {
    let mut all: Vec<(String, f64)> = frame
        .rows
        .iter()
        .filter_map(|r| {
            let v = value.and_then(|f| r.get(f)).and_then(number)?;
            (v > 0.0).then(|| {
                (
                    label
                        .and_then(|l| r.get(l))
                        .map(text_of)
                        .unwrap_or_default(),
                    v,
                )
            })
        })
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1));
    if all.len() > max.max(1) {
        // A category of the data already called "Other" joins the tail: two "Other"
        // slices side by side would read as a mistake.
        let mut other = 0.0;
        if let Some(at) = all.iter().position(|s| s.0.eq_ignore_ascii_case("other")) {
            other += all.remove(at).1;
        }
        let keep = (max.max(2) - 1).min(all.len());
        other += all[keep..].iter().map(|s| s.1).sum::<f64>();
        all.truncate(keep);
        all.push(("Other".into(), other));
    }
    all
}

/// The SVG path of a slice from angle `a0` to `a1` (radians, clockwise from twelve).
fn arc(cx: f64, cy: f64, r: f64, inner: f64, a0: f64, a1: f64) -> String {
    let point = |rad: f64, a: f64| (cx + rad * a.sin(), cy - rad * a.cos());
    let sweep = a1 - a0;
    if sweep >= 2.0 * PI - 1e-9 {
        // A full circle: two halves (an arc cannot end where it starts).
        let mid = a0 + PI;
        return format!(
            "{}{}",
            arc(cx, cy, r, inner, a0, mid),
            arc(cx, cy, r, inner, mid, a1)
        );
    }
    let large = i32::from(sweep > PI);
    let (x0, y0) = point(r, a0);
    let (x1, y1) = point(r, a1);
    if inner > 0.0 {
        let (x2, y2) = point(inner, a1);
        let (x3, y3) = point(inner, a0);
        format!("M{x0:.2},{y0:.2}A{r:.2},{r:.2} 0 {large} 1 {x1:.2},{y1:.2}L{x2:.2},{y2:.2}A{inner:.2},{inner:.2} 0 {large} 0 {x3:.2},{y3:.2}Z")
    } else {
        format!("M{cx:.2},{cy:.2}L{x0:.2},{y0:.2}A{r:.2},{r:.2} 0 {large} 1 {x1:.2},{y1:.2}Z")
    }
}

impl Kind for PieChart {
    const NAME: &'static str = "pie";
    const LABEL: &'static str = "Pie / donut";
    const ICON: &'static str = "◔";
    const SIZE: (i32, i32) = (520, 360);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if !(2..=20).contains(&self.max_slices) {
            return Err(Invalid::new("max_slices", "2 to 20 slices"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let (w, h) = cx.size;
        let font = label_px(cx.size);
        let label = cx.fields("label").first().cloned();
        let value = cx.fields("value").first().cloned();
        let frame = cx.frame;
        let look = cx.look.clone();
        let data = Memo::new(move |_| {
            frame.with(|f| {
                f.as_ref()
                    .map(|f| {
                        slices(
                            f,
                            label.as_deref(),
                            value.as_deref(),
                            props.max_slices as usize,
                        )
                    })
                    .unwrap_or_default()
            })
        });
        let legend_w = if props.legend { w * 0.45 } else { 0.0 };
        let pw = w - legend_w;
        let r = (pw / 2.0).min(h / 2.0) * 0.94;
        let (pcx, pcy) = (pw / 2.0, h / 2.0);
        let inner = if props.donut { r * 0.58 } else { 0.0 };
        let paths = Memo::new(move |_| {
            data.with(|d| {
                let total: f64 = d.iter().map(|s| s.1).sum();
                let mut a = 0.0;
                d.iter()
                    .enumerate()
                    .map(|(i, (name, v))| {
                        let sweep = if total > 0.0 {
                            v / total * 2.0 * PI
                        } else {
                            0.0
                        };
                        let path = arc(pcx, pcy, r, inner, a, a + sweep);
                        a += sweep;
                        (i, name.clone(), path)
                    })
                    .collect::<Vec<_>>()
            })
        });
        let rows = Memo::new(move |_| {
            data.with(|d| {
                let total: f64 = d.iter().map(|s| s.1).sum();
                d.iter()
                    .enumerate()
                    .map(|(i, (n, v))| {
                        let share = if total > 0.0 { v / total * 100.0 } else { 0.0 };
                        (
                            i,
                            truncate(n, 22),
                            look.format.format(*v),
                            format!("{share:.0} %"),
                        )
                    })
                    .collect::<Vec<_>>()
            })
        });
        let percentages = props.percentages;
        let total_text = {
            let look = cx.look.clone();
            move || data.with(|d| look.format.format(d.iter().map(|s| s.1).sum()))
        };
        view! {
            <div class="chart pie-chart">
                <svg viewBox=format!("0 0 {pw:.1} {h:.1}") style=format!("width:{:.2}%", pw / w * 100.0) role="img" aria-label="pie chart">
                    {by_index(paths, move |slice: Memo<Option<(usize, String, String)>>| {
                        view! {
                            <path
                                d=move || slice.with(|s| s.as_ref().map(|s| s.2.clone()).unwrap_or_default())
                                fill=move || slice.with(|s| series_color(s.as_ref().map_or(0, |s| s.0)))
                                class="slice"
                            >
                                <title>{move || slice.with(|s| s.as_ref().map(|s| s.1.clone()).unwrap_or_default())}</title>
                            </path>
                        }
                    })}
                    {props.donut.then(|| view! {
                        <text class="pie-total" x=pcx y=pcy dy="0.35em" text-anchor="middle" font-size=inner * 0.42>{total_text}</text>
                    })}
                </svg>
                {props.legend.then(|| view! {
                    <ul class="pie-legend" style=format!("width:{:.2}%;font-size:calc(100cqw * {font:.2} / var(--cw))", legend_w / w * 100.0)>
                        {by_index(rows, move |row: Memo<Option<(usize, String, String, String)>>| {
                            let part = move |f: fn(&(usize, String, String, String)) -> String| move || row.with(|r| r.as_ref().map(f).unwrap_or_default());
                            view! {
                                <li hidden=move || row.with(Option::is_none)>
                                    <span class="swatch" style=move || row.with(|r| format!("background:{}", series_color(r.as_ref().map_or(0, |r| r.0))))></span>
                                    <span class="name">{part(|r| r.1.clone())}</span>
                                    <span class="value">{part(if percentages { |r| r.3.clone() } else { |r| r.2.clone() })}</span>
                                </li>
                            }
                        })}
                    </ul>
                })}
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::check(edit, "Donut", "donut", |p| p.donut, |p, v| p.donut = v)}
            {inspect::check(edit, "Legend", "legend", |p| p.legend, |p, v| p.legend = v)}
            {inspect::check(edit, "Percentages in the legend", "percentages", |p| p.percentages, |p, v| p.percentages = v)}
            {inspect::number(edit, "Slices before \"Other\"", "max_slices", |p| f64::from(p.max_slices), |p, v| p.max_slices = v.clamp(2.0, 20.0) as u32)}
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DatasetId;
    use serde_json::json;

    #[test]
    fn the_tail_beyond_n_slices_becomes_other() {
        let mut f = Frame::empty(DatasetId::parse("d").unwrap());
        f.rows = (1..=8)
            .map(|i| {
                json!({"k": format!("k{i}"), "v": i})
                    .as_object()
                    .unwrap()
                    .clone()
            })
            .collect();
        f.rows
            .push(json!({"k": "neg", "v": -5}).as_object().unwrap().clone());
        let s = slices(&f, Some("k"), Some("v"), 4);
        assert_eq!(s.len(), 4);
        assert_eq!(s[0], ("k8".into(), 8.0));
        assert_eq!(s[3], ("Other".into(), (1..=5).sum::<i32>() as f64));
        assert_eq!(
            slices(&f, Some("k"), Some("v"), 20).len(),
            8,
            "negative values have no slice"
        );
        // A category named "Other" (here the largest) and the tail are one slice.
        f.rows
            .push(json!({"k": "other", "v": 100}).as_object().unwrap().clone());
        let s = slices(&f, Some("k"), Some("v"), 4);
        let labels: Vec<&str> = s.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(labels, ["k8", "k7", "k6", "Other"]);
        assert_eq!(s[3].1, 100.0 + (1..=5).sum::<i32>() as f64);
        assert_eq!(
            slices(&f, Some("k"), Some("v"), 20)
                .iter()
                .filter(|s| s.0.eq_ignore_ascii_case("other"))
                .count(),
            1,
            "without a tail the category stays as it is"
        );
    }

    #[test]
    fn a_single_slice_is_a_full_circle() {
        let d = arc(50.0, 50.0, 40.0, 0.0, 0.0, 2.0 * PI);
        assert_eq!(d.matches('A').count(), 2);
        assert!(!d.contains("NaN"));
    }
}
