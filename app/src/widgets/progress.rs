//! Progress / bullet: a linear bar from min to max with a target marker, the value
//! and the share of the target reached.

use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{Accepts, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    pub min: f64,
    pub max: f64,
    /// A fixed target; a bound `target` field wins over it.
    pub target: Option<f64>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            min: 0.0,
            max: 100.0,
            target: Some(80.0),
        }
    }
}

const SLOTS: &[Slot] = &[
    Slot {
        name: "value",
        label: "Value",
        accepts: Accepts::Number,
        shape: Shape::Single,
        many: false,
        required: true,
    },
    Slot {
        name: "target",
        label: "Target (optional)",
        accepts: Accepts::Number,
        shape: Shape::Single,
        many: false,
        required: false,
    },
];

/// A value's position on the bar, in percent (clamped).
pub fn percent(v: f64, min: f64, max: f64) -> f64 {
    if !v.is_finite() || max <= min {
        return 0.0;
    }
    ((v - min) / (max - min) * 100.0).clamp(0.0, 100.0)
}

impl Kind for Progress {
    const NAME: &'static str = "progress";
    const LABEL: &'static str = "Progress / bullet";
    const ICON: &'static str = "▭";
    const SIZE: (i32, i32) = (560, 180);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if !self.min.is_finite() || !self.max.is_finite() || self.max <= self.min {
            return Err(Invalid::new("max", "max is a number above min"));
        }
        if self.target.is_some_and(|t| !t.is_finite()) {
            return Err(Invalid::new("target", "not a finite number"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let Progress { min, max, target } = self.clone();
        let frame = cx.frame;
        let binding = cx.binding.clone();
        let state = Memo::new(move |_| {
            let b = binding.as_ref()?;
            frame.with(|f| {
                let f = f.as_ref()?;
                let (v, _) = f.pick_number(b, "value").ok()?;
                let t = b
                    .field("target")
                    .and_then(|_| f.pick_number(b, "target").ok())
                    .map(|(t, _)| t)
                    .or(target);
                Some((v, t))
            })
        });
        let look = cx.look.clone();
        let fmt = look.format.clone();
        let (_, ch) = cx.size;
        let font = |px: f64| format!("font-size:calc(100cqw * {px:.2} / var(--cw))");
        let text_px = (ch * 0.26).clamp(10.0, 80.0);
        let fill_style = move || {
            state.get().map_or("width:0%".to_string(), |(v, _)| {
                let color = look
                    .thresholds
                    .color_for(v)
                    .map(|c| format!(";background:{}", c.css()))
                    .unwrap_or_default();
                format!("width:{:.2}%{color}", percent(v, min, max))
            })
        };
        view! {
            <div class="progress">
                <div class="progress-text" style=font(text_px)>
                    <span class="progress-value" data-testid="progress-value">
                        {move || state.get().map(|(v, _)| fmt.format(v)).unwrap_or_else(|| "—".into())}
                    </span>
                    <span class="progress-of">
                        {move || state.get().and_then(|(v, t)| t.filter(|t| *t != 0.0).map(|t| format!("{:.0} % of target", v / t * 100.0)))}
                    </span>
                </div>
                <div class="progress-track">
                    <div class="progress-fill" style=fill_style></div>
                    <div
                        class="progress-target"
                        hidden=move || state.get().and_then(|(_, t)| t).is_none()
                        style=move || state.get().and_then(|(_, t)| t).map(|t| format!("left:{:.2}%", percent(t, min, max))).unwrap_or_default()
                    ></div>
                </div>
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::number(edit, "Minimum", "min", |p| p.min, |p, v| p.min = v)}
            {inspect::number(edit, "Maximum", "max", |p| p.max, |p, v| p.max = v)}
            {inspect::optional_number(edit, "Target", "target", |p| p.target, |p, v| p.target = v)}
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_its_share_and_stops_at_the_ends() {
        assert_eq!(percent(25.0, 0.0, 50.0), 50.0);
        assert_eq!(percent(-1.0, 0.0, 50.0), 0.0);
        assert_eq!(percent(99.0, 0.0, 50.0), 100.0);
        assert_eq!(percent(f64::INFINITY, 0.0, 50.0), 0.0);
    }
}
