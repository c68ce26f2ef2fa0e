//! Text: markdown, rendered safely (no HTML from the author ever reaches the page as
//! markup; links only to http, https, mailto or this site, opened without access to the
//! wall), with an optional bound value shown where `{{value}}` is written.

use super::inspect::{self, Edit};
use super::markdown;
use super::{Ctx, Kind};
use crate::model::{Accepts, Invalid, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Text {
    pub markdown: String,
    /// Text size in design pixels.
    pub size: u32,
    pub align: Align,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    Left,
    Center,
    Right,
}

impl Default for Text {
    fn default() -> Self {
        Self {
            markdown: "## Heading\n\nWrite **markdown** here. The bound value: {{value}}".into(),
            size: 28,
            align: Align::Left,
        }
    }
}

const SLOTS: &[Slot] = &[Slot {
    name: "value",
    label: "Value for {{value}} (optional)",
    accepts: Accepts::Any,
    shape: Shape::Single,
    many: false,
    required: false,
}];

impl Kind for Text {
    const NAME: &'static str = "text";
    const LABEL: &'static str = "Text";
    const ICON: &'static str = "¶";
    const SIZE: (i32, i32) = (560, 260);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        if self.markdown.chars().count() > markdown::MAX_CHARS {
            return Err(Invalid::new(
                "markdown",
                format!("at most {} characters", markdown::MAX_CHARS),
            ));
        }
        if !(6..=400).contains(&self.size) {
            return Err(Invalid::new("size", "6 to 400 pixels"));
        }
        Ok(())
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let blocks = markdown::parse(&self.markdown);
        let frame = cx.frame;
        let binding = cx.binding.clone();
        let look = cx.look.clone();
        let value = Memo::new(move |_| {
            let b = binding.as_ref()?;
            b.field("value")?;
            frame.with(|f| {
                f.as_ref().map(|f| {
                    f.pick(b, "value")
                        .map(|p| look.format.format_value(&p.value))
                        .unwrap_or_else(|_| "—".into())
                })
            })
        });
        let align = match self.align {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
        };
        let style = format!(
            "text-align:{align};font-size:calc(100cqw * {} / var(--cw))",
            self.size
        );
        view! { <div class="text-widget" style=style>{move || markdown::render(&blocks, value.get())}</div> }.into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        const ALIGN: &[(Align, &str, &str)] = &[
            (Align::Left, "left", "Left"),
            (Align::Center, "center", "Centre"),
            (Align::Right, "right", "Right"),
        ];
        view! {
            {inspect::area(edit, "Markdown ({{value}} shows the bound value)", "markdown", |p| p.markdown.clone(), |p, v| p.markdown = v)}
            {inspect::number(edit, "Text size", "size", |p| f64::from(p.size), |p, v| p.size = v.clamp(6.0, 400.0) as u32)}
            {inspect::choice(edit, "Alignment", "align", ALIGN, |p| p.align, |p, v| p.align = v)}
        }
        .into_any()
    }
}
