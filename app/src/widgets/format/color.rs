//! Colours, thresholds and value maps.

use super::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::Invalid;

/// The palette names a colour may use; each is the CSS variable `--c-<name>`.
pub const PALETTE: [&str; 10] = [
    "green", "yellow", "orange", "red", "blue", "purple", "teal", "grey", "text", "muted",
];

/// A colour that is safe to put in a style attribute: `#rgb`, `#rrggbb` or a palette
/// name. Anything else is refused when read, so CSS cannot be injected through it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Color(pub(super) String);

impl Default for Color {
    fn default() -> Self {
        Color("text".to_string())
    }
}

impl TryFrom<String> for Color {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        if is_color(&text) {
            Ok(Color(text))
        } else {
            Err(color_error(&text))
        }
    }
}

impl From<Color> for String {
    fn from(c: Color) -> String {
        c.0
    }
}

pub(super) fn is_color(text: &str) -> bool {
    match text.strip_prefix('#') {
        Some(hex) => matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => PALETTE.contains(&text),
    }
}

pub(super) fn color_error(text: &str) -> String {
    let shown: String = text.chars().take(40).collect();
    format!(
        "'{shown}' is not a colour: write #rgb, #rrggbb or one of {}",
        PALETTE.join(", ")
    )
}

impl Color {
    /// Reads a colour, or says why not.
    pub fn parse(text: &str) -> Result<Color, Invalid> {
        Color::try_from(text.to_string()).map_err(|e| Invalid::new("", e))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if is_color(&self.0) {
            Ok(())
        } else {
            Err(Invalid::new("", color_error(&self.0)))
        }
    }

    /// The CSS value: the hex as written, or `var(--c-<name>)`.
    pub fn css(&self) -> String {
        if self.0.starts_with('#') {
            self.0.clone()
        } else {
            format!("var(--c-{})", self.0)
        }
    }
}

/// Colours by value: `base` below the first step, else the colour of the last step
/// reached.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    pub base: Option<Color>,
    /// In strictly increasing `from` order.
    pub steps: Vec<Step>,
}

/// From `from` on (inclusive), values take `color`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Step {
    pub from: f64,
    pub color: Color,
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(base) = &self.base {
            base.validate().map_err(|e| e.within("base"))?;
        }
        if self.steps.len() > MAX_STEPS {
            return Err(Invalid::new(
                "steps",
                format!("{} steps: at most {MAX_STEPS}", self.steps.len()),
            ));
        }
        let mut previous = f64::NEG_INFINITY;
        for (i, step) in self.steps.iter().enumerate() {
            let at = format!("steps[{i}]");
            if !step.from.is_finite() {
                return Err(Invalid::new("from", "a step starts at a finite number").within(&at));
            }
            if step.from <= previous {
                return Err(Invalid::new(
                    "from",
                    format!(
                        "{} does not follow {previous}: steps go in increasing order",
                        step.from
                    ),
                )
                .within(&at));
            }
            previous = step.from;
            step.color
                .validate()
                .map_err(|e| e.within("color").within(&at))?;
        }
        Ok(())
    }

    /// The colour of `v`: the last step whose `from` is at most `v`, else `base`.
    /// NaN takes `base`.
    pub fn color_for(&self, v: f64) -> Option<&Color> {
        self.steps
            .iter()
            .rev()
            .find(|s| s.from <= v)
            .map(|s| &s.color)
            .or(self.base.as_ref())
    }
}

/// Labels and colours for particular values (`"down"` → red, "Down").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ValueMap {
    pub entries: Vec<MapEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapEntry {
    /// Compared with the value's text, trimmed and ignoring case.
    pub equals: String,
    /// Shown instead of the value; the value itself when `None`.
    pub label: Option<String>,
    pub color: Color,
}

impl ValueMap {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.entries.len() > MAX_MAP_ENTRIES {
            return Err(Invalid::new(
                "entries",
                format!("{} entries: at most {MAX_MAP_ENTRIES}", self.entries.len()),
            ));
        }
        for (i, e) in self.entries.iter().enumerate() {
            let at = format!("entries[{i}]");
            let texts = [("equals", Some(&e.equals)), ("label", e.label.as_ref())];
            for (field, text) in texts {
                let n = text.map_or(0, |t| t.chars().count());
                if n > MAX_MAP_TEXT_CHARS {
                    return Err(Invalid::new(
                        field,
                        format!("{n} characters: at most {MAX_MAP_TEXT_CHARS}"),
                    )
                    .within(&at));
                }
            }
            e.color
                .validate()
                .map_err(|err| err.within("color").within(&at))?;
        }
        Ok(())
    }

    /// The first entry matching `v`'s text (numbers written plainly: `1.0` is `1`);
    /// arrays and objects match nothing.
    pub fn find(&self, v: &Value) -> Option<&MapEntry> {
        let text = match v {
            Value::String(s) => s.trim().to_lowercase(),
            Value::Number(n) => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
                _ => n.to_string(),
            },
            Value::Bool(b) => b.to_string(),
            Value::Null => "null".to_string(),
            Value::Array(_) | Value::Object(_) => return None,
        };
        self.entries
            .iter()
            .find(|e| e.equals.trim().to_lowercase() == text)
    }
}
