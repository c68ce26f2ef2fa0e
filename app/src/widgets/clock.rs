//! Clock and countdown: the time in a chosen zone and format, or the time left until
//! a date (fixed, or read from a bound field).

use super::format::countdown;
use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{parse_instant, parse_instant_text, Accepts, Invalid, Look, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Clock {
    pub countdown: bool,
    /// What a countdown counts to (ISO date or date-time); a bound field wins.
    pub until: String,
    /// Shown when a countdown has ended.
    pub done_text: String,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            countdown: false,
            until: String::new(),
            done_text: "Now".into(),
        }
    }
}

const SLOTS: &[Slot] = &[Slot {
    name: "until",
    label: "Count down to (optional)",
    accepts: Accepts::Time,
    shape: Shape::Single,
    many: false,
    required: false,
}];

impl Kind for Clock {
    const NAME: &'static str = "clock";
    const LABEL: &'static str = "Clock / countdown";
    const ICON: &'static str = "◷";
    const SIZE: (i32, i32) = (420, 200);
    const SLOTS: &'static [Slot] = SLOTS;

    fn default_look() -> Look {
        let mut look = Look::default();
        look.time_format.pattern = "%H:%M:%S".into();
        look
    }

    fn validate(&self) -> Result<(), Invalid> {
        if !self.until.trim().is_empty() && parse_instant_text(&self.until).is_none() {
            return Err(Invalid::new(
                "until",
                "a date like 2027-01-01 or 2027-01-01T09:00:00Z",
            ));
        }
        if self.done_text.chars().count() > 100 {
            return Err(Invalid::new("done_text", "at most 100 characters"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let props = self.clone();
        let now = cx.screen.now;
        let frame = cx.frame;
        let binding = cx.binding.clone();
        let fixed = parse_instant_text(&props.until);
        let until = Memo::new(move |_| {
            let bound = binding
                .as_ref()
                .filter(|b| b.field("until").is_some())
                .and_then(|b| {
                    frame.with(|f| {
                        f.as_ref()
                            .and_then(|f| f.pick(b, "until").ok())
                            .and_then(|p| parse_instant(&p.value))
                    })
                });
            bound.or(fixed)
        });
        let format = cx.look.time_format.clone();
        let zone_label = format.zone.0.clone();
        let text = move || {
            let t = now.get();
            if props.countdown {
                match until.get() {
                    Some(end) if end > t => countdown(end - t),
                    Some(_) => props.done_text.clone(),
                    None => "—".into(),
                }
            } else {
                format.format(t)
            }
        };
        let (w, h) = cx.size;
        let px = (h * 0.6).min(w / 5.0).max(10.0);
        view! {
            <div class="clock" style=format!("font-size:calc(100cqw * {px:.2} / var(--cw))")>
                <div class="clock-time" data-testid="clock-time">{text}</div>
                {(!self.countdown).then(|| view! { <div class="clock-zone">{zone_label}</div> })}
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::check(edit, "Count down", "countdown", |p| p.countdown, |p, v| p.countdown = v)}
            {inspect::text(edit, "Count down to (2027-01-01T09:00:00Z)", "until", |p| p.until.clone(), |p, v| p.until = v)}
            {inspect::text(edit, "Text when it is over", "done_text", |p| p.done_text.clone(), |p, v| p.done_text = v)}
        }
        .into_any()
    }
}
