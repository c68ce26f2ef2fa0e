//! KPI: one big number, with its change against the previous value or a target
//! (arrow, colour, percent), threshold colours, and an optional sparkline of recent
//! values.

use super::chart::line_path;
use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{number, Accepts, Invalid, Look, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Kpi {
    pub compare: Compare,
    /// The target for `Compare::Target`.
    pub target: Option<f64>,
    /// Whether a rise is good (green) or bad (red, e.g. error rates).
    pub higher_is_better: bool,
    pub sparkline: bool,
    /// How many recent values the sparkline shows.
    pub sparkline_points: u32,
}

impl Default for Kpi {
    fn default() -> Self {
        Self {
            compare: Compare::Previous,
            target: None,
            higher_is_better: true,
            sparkline: false,
            sparkline_points: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    None,
    /// Against the row before (a dataset with history) or the value shown before.
    Previous,
    Target,
}

const SLOTS: &[Slot] = &[Slot {
    name: "value",
    label: "Value",
    accepts: Accepts::Number,
    shape: Shape::Single,
    many: false,
    required: true,
}];

/// What the KPI shows, worked out from the frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KpiState {
    pub text: String,
    pub value: Option<f64>,
    pub change: Option<Change>,
    pub color: Option<String>,
    pub spark: Vec<f64>,
    pub updated_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub up: bool,
    pub good: bool,
    /// `+12.5 %` (or the difference when the base is zero).
    pub text: String,
}

/// The change from `base` to `value`.
pub fn change(value: f64, base: f64, higher_is_better: bool, look: &Look) -> Option<Change> {
    if !value.is_finite() || !base.is_finite() || value == base {
        return (value == base)
            .then(|| Change {
                up: true,
                good: true,
                text: "±0 %".into(),
            })
            .filter(|_| value.is_finite());
    }
    let up = value > base;
    let text = if base != 0.0 {
        let pct = (value - base) / base.abs() * 100.0;
        format!("{}{:.1} %", if pct >= 0.0 { "+" } else { "" }, pct)
    } else {
        let diff = look.format.format((value - base).abs());
        format!("{}{diff}", if up { "+" } else { "-" })
    };
    Some(Change {
        up,
        good: up == higher_is_better,
        text,
    })
}

/// The font size (design pixels) at most `px` that fits `chars` characters of a bold
/// sans-serif face across `width` with a margin: long values shrink to their box
/// instead of being cut.
fn fit_width(px: f64, width: f64, chars: usize) -> f64 {
    const EM_PER_CHAR: f64 = 0.62;
    let fits = width * 0.92 / (EM_PER_CHAR * chars.max(1) as f64);
    px.min(fits).max(6.0)
}

impl Kind for Kpi {
    const NAME: &'static str = "kpi";
    const LABEL: &'static str = "KPI";
    const ICON: &'static str = "123";
    const SIZE: (i32, i32) = (400, 240);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if self.compare == Compare::Target && self.target.is_none() {
            return Err(Invalid::new(
                "target",
                "comparing with a target needs a target",
            ));
        }
        if self.target.is_some_and(|t| !t.is_finite()) {
            return Err(Invalid::new("target", "not a finite number"));
        }
        if !(2..=500).contains(&self.sparkline_points) {
            return Err(Invalid::new("sparkline_points", "2 to 500 points"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let look = cx.look.clone();
        let binding = cx.binding.clone();
        let frame = cx.frame;
        // The values shown before, for "change since the previous value" and the
        // sparkline of a dataset that holds one row.
        let seen = StoredValue::new(Vec::<f64>::new());
        let state = Memo::new(move |_| {
            let Some(binding) = &binding else {
                return KpiState::default();
            };
            frame.with(|f| {
                let Some(f) = f else {
                    return KpiState::default();
                };
                let field = binding.field("value").unwrap_or_default();
                let mut state = KpiState {
                    text: "—".into(),
                    updated_at_ms: f.updated_at_ms,
                    ..Default::default()
                };
                let Ok((v, previous_row)) = f.pick_number(binding, "value") else {
                    return state;
                };
                let before = seen.with_value(|s| s.last().copied());
                if before != Some(v) {
                    seen.update_value(|s| {
                        s.push(v);
                        let keep = props.sparkline_points as usize;
                        if s.len() > keep {
                            s.drain(..s.len() - keep);
                        }
                    });
                }
                state.value = Some(v);
                state.text = look.format.format(v);
                state.color = look.thresholds.color_for(v).map(|c| c.css());
                let base = match props.compare {
                    Compare::None => None,
                    Compare::Target => props.target,
                    Compare::Previous => previous_row
                        .or_else(|| seen.with_value(|s| s.len().checked_sub(2).map(|i| s[i]))),
                };
                state.change = base.and_then(|b| change(v, b, props.higher_is_better, &look));
                if props.sparkline {
                    let history: Vec<f64> = if f.rows.len() > 1 {
                        let keep = props.sparkline_points as usize;
                        let from = f.rows.len().saturating_sub(keep);
                        f.rows[from..]
                            .iter()
                            .filter_map(|r| r.get(field).and_then(number))
                            .collect()
                    } else {
                        seen.get_value()
                    };
                    state.spark = history;
                }
                state
            })
        });
        let (w, h) = cx.size;
        let spark_h = if props.sparkline { h * 0.28 } else { 0.0 };
        // The number and the change line below it fit the box above the sparkline.
        let room = h - spark_h;
        let lines = if props.compare == Compare::None {
            1.1
        } else {
            1.55
        };
        let value_px = (room * 0.9 / lines).max(10.0);
        let font = |px: f64| format!("font-size:calc(100cqw * {px:.2} / var(--cw))");
        let target_text = props
            .target
            .map(|t| format!("target {}", cx.look.format.format(t)));
        let target_chars = target_text.as_ref().map_or(0, |t| t.chars().count() + 2);
        let compare_target = props.compare == Compare::Target;
        view! {
            <div class="kpi" style=format!("--spark:{:.2}%", spark_h / h * 100.0)>
                <div class="kpi-main">
                    <div
                        class="kpi-value"
                        data-testid="kpi-value"
                        data-updated=move || state.with(|s| s.updated_at_ms)
                        style=move || state.with(|s| {
                            let px = fit_width(value_px, w, s.text.chars().count());
                            let color = s.color.as_ref().map(|c| format!(";color:{c}")).unwrap_or_default();
                            format!("{}{color}", font(px))
                        })
                    >
                        {move || state.with(|s| s.text.clone())}
                    </div>
                    <div
                        class="kpi-change"
                        data-testid="kpi-change"
                        style=move || state.with(|s| {
                            let chars = s.change.as_ref().map_or(0, |c| c.text.chars().count() + 2);
                            font(fit_width(value_px * 0.32, w, chars + target_chars))
                        })
                    >
                        {move || state.with(|s| s.change.clone()).map(|c| {
                            let class = if c.good { "good" } else { "bad" };
                            view! {
                                <span class=class>{if c.up { "▲ " } else { "▼ " }}{c.text}</span>
                            }
                        })}
                        {compare_target.then(|| view! { <span class="kpi-target">{target_text.clone()}</span> })}
                    </div>
                </div>
                {props.sparkline.then(|| {
                    let sw = w;
                    view! {
                        <svg class="sparkline" viewBox=format!("0 0 {sw:.1} {spark_h:.1}") preserveAspectRatio="none" aria-hidden="true">
                            <path d=move || state.with(|s| spark_path(&s.spark, sw, spark_h))></path>
                        </svg>
                    }
                })}
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        const COMPARE: &[(Compare, &str, &str)] = &[
            (Compare::None, "none", "Nothing"),
            (Compare::Previous, "previous", "The previous value"),
            (Compare::Target, "target", "A target"),
        ];
        view! {
            {inspect::choice(edit, "Compare with", "compare", COMPARE, |p| p.compare, |p, v| {
                p.compare = v;
                if v == Compare::Target && p.target.is_none() {
                    p.target = Some(100.0);
                }
            })}
            {inspect::optional_number(edit, "Target", "target", |p| p.target, |p, v| p.target = v)}
            {inspect::check(edit, "Higher is better", "higher_is_better", |p| p.higher_is_better, |p, v| p.higher_is_better = v)}
            {inspect::check(edit, "Sparkline of recent values", "sparkline", |p| p.sparkline, |p, v| p.sparkline = v)}
        }
        .into_any()
    }
}

fn spark_path(values: &[f64], w: f64, h: f64) -> String {
    if values.len() < 2 {
        return String::new();
    }
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let step = w / (values.len() - 1) as f64;
    line_path(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Some((i as f64 * step, h - 2.0 - (v - lo) / span * (h - 4.0)))),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_shrink_to_their_box() {
        assert_eq!(
            fit_width(100.0, 440.0, 3),
            100.0,
            "a short value keeps its size"
        );
        let long = fit_width(100.0, 440.0, 12);
        assert!(long < 60.0 && long * 0.62 * 12.0 <= 440.0, "{long}");
        assert!(
            fit_width(100.0, 10.0, 500) >= 6.0,
            "never smaller than legible"
        );
    }

    #[test]
    fn a_change_says_its_direction_and_whether_it_is_good() {
        let look = Look::default();
        let up = change(110.0, 100.0, true, &look).unwrap();
        assert!(up.up && up.good);
        assert_eq!(up.text, "+10.0 %");
        let worse = change(110.0, 100.0, false, &look).unwrap();
        assert!(worse.up && !worse.good);
        let down = change(50.0, -100.0, true, &look).unwrap();
        assert_eq!(down.text, "+150.0 %");
        let from_zero = change(-3.0, 0.0, true, &look).unwrap();
        assert!(!from_zero.up);
        assert_eq!(from_zero.text, "-3");
        assert_eq!(change(5.0, 5.0, true, &look).unwrap().text, "±0 %");
    }

    #[test]
    fn a_target_comparison_needs_a_target() {
        let k = Kpi {
            compare: Compare::Target,
            ..Kpi::default()
        };
        assert_eq!(k.validate().unwrap_err().field, "target");
    }
}
