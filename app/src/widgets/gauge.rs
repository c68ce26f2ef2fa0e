//! Gauge: a radial dial from min to max, with the threshold colours as bands and the
//! value in the middle.

use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{Accepts, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Gauge {
    pub min: f64,
    pub max: f64,
    /// Show the threshold colours as bands around the dial.
    pub bands: bool,
}

impl Default for Gauge {
    fn default() -> Self {
        Self {
            min: 0.0,
            max: 100.0,
            bands: true,
        }
    }
}

const SLOTS: &[Slot] = &[Slot {
    name: "value",
    label: "Value",
    accepts: Accepts::Number,
    shape: Shape::Single,
    many: false,
    required: true,
}];

/// The dial sweeps 240°, from 8 o'clock to 4 o'clock.
const START: f64 = -2.0 * PI / 3.0;
const SWEEP: f64 = 4.0 * PI / 3.0;

/// Where `v` sits on the dial, from 0 to 1 (clamped).
pub fn fraction(v: f64, min: f64, max: f64) -> f64 {
    if !v.is_finite() || max <= min {
        return 0.0;
    }
    ((v - min) / (max - min)).clamp(0.0, 1.0)
}

/// An arc of the dial's track from fraction `f0` to `f1`.
pub fn track(cx: f64, cy: f64, r: f64, f0: f64, f1: f64) -> String {
    let at = |f: f64| {
        let a = START + SWEEP * f;
        (cx + r * a.sin(), cy - r * a.cos())
    };
    let (x0, y0) = at(f0);
    let (x1, y1) = at(f1);
    let large = i32::from((f1 - f0) * SWEEP > PI);
    format!("M{x0:.2},{y0:.2}A{r:.2},{r:.2} 0 {large} 1 {x1:.2},{y1:.2}")
}

impl Kind for Gauge {
    const NAME: &'static str = "gauge";
    const LABEL: &'static str = "Gauge";
    const ICON: &'static str = "◠";
    const SIZE: (i32, i32) = (400, 320);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if !self.min.is_finite() || !self.max.is_finite() {
            return Err(Invalid::new("min", "min and max are finite numbers"));
        }
        if self.max <= self.min {
            return Err(Invalid::new("max", "max is above min"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let Gauge { min, max, bands } = self.clone();
        let (w, h) = cx.size;
        // The dial and its end labels take about 1.75 r of height.
        let r = (w / 2.2).min(h / 1.75) * 0.92;
        let (gx, gy) = (w / 2.0, r * 1.12 + (h - r * 1.75).max(0.0) / 2.0);
        let stroke = r * 0.2;
        let frame = cx.frame;
        let binding = cx.binding.clone();
        let look = cx.look.clone();
        let value = Memo::new(move |_| {
            let b = binding.as_ref()?;
            frame.with(|f| {
                f.as_ref()
                    .and_then(|f| f.pick_number(b, "value").ok())
                    .map(|(v, _)| v)
            })
        });
        let band_paths: Vec<(String, String)> = if bands {
            let t = &look.thresholds;
            let mut edges: Vec<(f64, String)> = Vec::new();
            if let Some(base) = &t.base {
                edges.push((min, base.css()));
            }
            for s in &t.steps {
                edges.push((s.from.max(min), s.color.css()));
            }
            edges
                .iter()
                .enumerate()
                .filter(|(_, (from, _))| *from < max)
                .map(|(i, (from, color))| {
                    let to = edges.get(i + 1).map_or(max, |e| e.0.min(max));
                    (
                        track(
                            gx,
                            gy,
                            r + stroke * 0.75,
                            fraction(*from, min, max),
                            fraction(to, min, max),
                        ),
                        color.clone(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let fmt = look.format.clone();
        let color_look = look.clone();
        let color = move || {
            value
                .get()
                .and_then(|v| color_look.thresholds.color_for(v).map(|c| c.css()))
                .unwrap_or_else(|| "var(--accent-series, var(--s0))".into())
        };
        view! {
            <div class="chart gauge">
                <svg viewBox=format!("0 0 {w:.1} {h:.1}") role="img" aria-label="gauge">
                    {band_paths.into_iter().map(|(d, c)| view! { <path class="band" d=d stroke=c stroke-width=stroke * 0.25 fill="none"></path> }).collect_view()}
                    <path class="gauge-track" d=track(gx, gy, r, 0.0, 1.0) stroke-width=stroke fill="none"></path>
                    <path
                        class="gauge-value"
                        d=move || value.get().map(|v| track(gx, gy, r, 0.0, fraction(v, min, max).max(0.002))).unwrap_or_default()
                        stroke=color
                        stroke-width=stroke
                        fill="none"
                    ></path>
                    <text class="gauge-text" x=gx y=gy dy="0.1em" text-anchor="middle" font-size=r * 0.42 data-testid="gauge-value">
                        {move || value.get().map(|v| fmt.format(v)).unwrap_or_else(|| "—".into())}
                    </text>
                    <text class="gauge-scale" x=gx - r * 0.866 y=gy + r * 0.5 + stroke * 0.6 + r * 0.14 text-anchor="middle" font-size=r * 0.13>{look.format.format(min)}</text>
                    <text class="gauge-scale" x=gx + r * 0.866 y=gy + r * 0.5 + stroke * 0.6 + r * 0.14 text-anchor="middle" font-size=r * 0.13>{look.format.format(max)}</text>
                </svg>
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::number(edit, "Minimum", "min", |p| p.min, |p, v| p.min = v)}
            {inspect::number(edit, "Maximum", "max", |p| p.max, |p, v| p.max = v)}
            {inspect::check(edit, "Threshold bands", "bands", |p| p.bands, |p, v| p.bands = v)}
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_dial_stop_at_its_ends() {
        assert_eq!(fraction(50.0, 0.0, 200.0), 0.25);
        assert_eq!(fraction(-5.0, 0.0, 10.0), 0.0);
        assert_eq!(fraction(50.0, 0.0, 10.0), 1.0);
        assert_eq!(fraction(f64::NAN, 0.0, 10.0), 0.0);
        assert_eq!(fraction(1.0, 5.0, 5.0), 0.0);
    }

    #[test]
    fn min_must_be_below_max() {
        assert_eq!(
            Gauge {
                min: 5.0,
                max: 5.0,
                bands: true
            }
            .validate()
            .unwrap_err()
            .field,
            "max"
        );
    }
}
