//! Status: a coloured light and a label, from a value mapping (`up` → green "Up") or,
//! for numbers, the widget's thresholds.

use super::format::{Color, MapEntry, ValueMap};
use super::inspect::{self, Edit};
use super::{Ctx, Kind};
use crate::model::{number, Accepts, Invalid, Look, Shape, Slot};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Status {
    pub mapping: ValueMap,
}

const SLOTS: &[Slot] = &[Slot {
    name: "value",
    label: "Value",
    accepts: Accepts::Any,
    shape: Shape::Single,
    many: false,
    required: true,
}];

/// The light's colour (CSS) and the label for `value`.
pub fn light(value: &Value, mapping: &ValueMap, look: &Look) -> (String, String) {
    if let Some(entry) = mapping.find(value) {
        let label = entry
            .label
            .clone()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| look.format.format_value(value));
        return (entry.color.css(), label);
    }
    let color = number(value)
        .filter(|_| !matches!(value, Value::Bool(_)))
        .and_then(|n| look.thresholds.color_for(n))
        .map(|c| c.css())
        .unwrap_or_else(|| "var(--c-grey)".into());
    (color, look.format.format_value(value))
}

/// The mapping as the inspector writes it: `value = colour label`, one per line.
pub fn mapping_lines(map: &ValueMap) -> String {
    map.entries
        .iter()
        .map(|e| match &e.label {
            Some(l) if !l.is_empty() => format!("{} = {} {l}", e.equals, e.color.as_str()),
            _ => format!("{} = {}", e.equals, e.color.as_str()),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `value = colour label` lines; blank lines are skipped, and the first bad
/// line is named.
pub fn parse_mapping(text: &str) -> Result<ValueMap, String> {
    let mut entries = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let (equals, rest) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: write value = colour", n + 1))?;
        let rest = rest.trim();
        let (color, label) = rest
            .split_once(' ')
            .map_or((rest, ""), |(c, l)| (c, l.trim()));
        let color = Color::parse(color).map_err(|e| format!("line {}: {}", n + 1, e.message))?;
        entries.push(MapEntry {
            equals: equals.trim().to_string(),
            label: (!label.is_empty()).then(|| label.to_string()),
            color,
        });
    }
    let map = ValueMap { entries };
    map.validate().map_err(|e| e.to_string())?;
    Ok(map)
}

impl Kind for Status {
    const NAME: &'static str = "status";
    const LABEL: &'static str = "Status";
    const ICON: &'static str = "●";
    const SIZE: (i32, i32) = (360, 160);
    const SLOTS: &'static [Slot] = SLOTS;

    fn validate(&self) -> Result<(), Invalid> {
        self.mapping.validate().map_err(|e| e.within("mapping"))
    }

    fn view(&self, cx: Ctx) -> AnyView {
        let mapping = self.mapping.clone();
        let look = cx.look.clone();
        let frame = cx.frame;
        let binding = cx.binding.clone();
        let state = Memo::new(move |_| {
            let b = binding.as_ref()?;
            frame.with(|f| {
                f.as_ref()
                    .and_then(|f| f.pick(b, "value").ok())
                    .map(|p| light(&p.value, &mapping, &look))
            })
        });
        let (w, h) = cx.size;
        // Sized for the longest label it can show, so none is cut.
        let chars = self
            .mapping
            .entries
            .iter()
            .map(|e| e.label.as_deref().unwrap_or(&e.equals).chars().count())
            .max()
            .unwrap_or(6)
            .max(6) as f64;
        let px = (h * 0.4).min(w * 0.9 / (chars * 0.62 + 1.5)).max(10.0);
        view! {
            <div class="status" style=format!("font-size:calc(100cqw * {px:.2} / var(--cw))")>
                <span class="status-light" style=move || state.get().map(|(c, _)| format!("background:{c};box-shadow:0 0 0.5em {c}")).unwrap_or_default()></span>
                <span class="status-label" data-testid="status-label">{move || state.get().map(|(_, l)| l).unwrap_or_else(|| "—".into())}</span>
            </div>
        }
        .into_any()
    }

    fn inspector(edit: Edit<Self>) -> AnyView {
        view! {
            {inspect::area(edit, "Mapping: one per line, value = colour label (up = green Up)", "mapping", |p| mapping_lines(&p.mapping), |p, v| {
                if let Ok(m) = parse_mapping(&v) {
                    p.mapping = m;
                }
            })}
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mapping_colours_and_names_the_value() {
        let map = parse_mapping("up = green Up\n\ndown = red Down").unwrap();
        let look = Look::default();
        assert_eq!(
            light(&json!("UP "), &map, &look),
            ("var(--c-green)".into(), "Up".into())
        );
        assert_eq!(light(&json!("down"), &map, &look).1, "Down");
        assert_eq!(
            light(&json!("odd"), &map, &look),
            ("var(--c-grey)".into(), "odd".into())
        );
        assert_eq!(parse_mapping(&mapping_lines(&map)).unwrap(), map);
        assert!(parse_mapping("up = red;background:url(x)")
            .unwrap_err()
            .starts_with("line 1"));
        assert!(parse_mapping("nothing here").is_err());
    }
}
