//! A dashboard document: design resolution, theme and widgets placed on the canvas.
//! Stored as JSON with a schema version; `Dashboard::validate` is the one gate every
//! document passes, in the editor before saving and on the server before storing.

use super::{DatasetId, Invalid, WidgetId};
use serde::{Deserialize, Serialize};

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// Most widgets one dashboard may hold.
pub const MAX_WIDGETS: usize = 500;
/// Snap step of the editor grid, in design pixels.
pub const GRID: i32 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub schema_version: u32,
    pub name: String,
    pub resolution: Resolution,
    #[serde(default)]
    pub theme: Theme,
    #[serde(default)]
    pub widgets: Vec<Widget>,
}

impl Dashboard {
    /// An empty 1920×1080 dark dashboard.
    pub fn new(name: &str) -> Result<Self, Invalid> {
        let dashboard = Self {
            schema_version: SCHEMA_VERSION,
            name: name.trim().to_string(),
            resolution: Resolution::FULL_HD,
            theme: Theme::Dark,
            widgets: Vec::new(),
        };
        dashboard.validate()?;
        Ok(dashboard)
    }

    /// Parses and validates a JSON document; the error names the bad field.
    pub fn from_json(text: &str) -> Result<Self, Invalid> {
        let dashboard: Self = super::parse_json(text)?;
        dashboard.validate()?;
        Ok(dashboard)
    }

    /// Checks every invariant of the document; the error names the first bad field.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.schema_version != SCHEMA_VERSION {
            return Err(Invalid::new(
                "schema_version",
                format!(
                    "version {} is not supported (this server reads version {SCHEMA_VERSION})",
                    self.schema_version
                ),
            ));
        }
        validate_name(&self.name).map_err(|e| e.within("name"))?;
        self.resolution
            .validate()
            .map_err(|e| e.within("resolution"))?;
        if self.widgets.len() > MAX_WIDGETS {
            return Err(Invalid::new(
                "widgets",
                format!("a dashboard holds at most {MAX_WIDGETS} widgets"),
            ));
        }
        for (i, widget) in self.widgets.iter().enumerate() {
            let at = format!("widgets[{i}]");
            widget
                .validate(&self.resolution)
                .map_err(|e| e.within(&at))?;
            if self.widgets[..i].iter().any(|w| w.id == widget.id) {
                return Err(Invalid::new(
                    format!("{at}.id"),
                    format!("the id '{}' is used by another widget", widget.id),
                ));
            }
        }
        Ok(())
    }

    /// Changes the design resolution, scaling every widget's box to the new canvas so
    /// the layout keeps its proportions and stays valid.
    pub fn set_resolution(&mut self, to: Resolution) {
        let from = self.resolution;
        let sx = f64::from(to.width) / f64::from(from.width);
        let sy = f64::from(to.height) / f64::from(from.height);
        let scale = |v: i32, s: f64| (f64::from(v) * s).round() as i32;
        for w in &mut self.widgets {
            let r = w.rect;
            w.rect = Rect {
                x: scale(r.x, sx),
                y: scale(r.y, sy),
                w: scale(r.w, sx),
                h: scale(r.h, sy),
            }
            .fit(&to);
        }
        self.resolution = to;
    }

    /// A widget id not used yet in this dashboard (`w1`, `w2`, …).
    pub fn next_widget_id(&self) -> WidgetId {
        let n = (1..)
            .find(|n| {
                !self
                    .widgets
                    .iter()
                    .any(|w| w.id.as_str() == format!("w{n}"))
            })
            .unwrap_or(1);
        WidgetId::parse(format!("w{n}")).expect("w<digits> is a valid widget id")
    }

    /// The datasets the widgets read, each once, in widget order.
    pub fn datasets(&self) -> Vec<DatasetId> {
        let mut out: Vec<DatasetId> = Vec::new();
        for id in self
            .widgets
            .iter()
            .filter_map(|w| w.binding.as_ref())
            .map(|b| &b.dataset)
        {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }

    pub fn widget_mut(&mut self, id: &WidgetId) -> Option<&mut Widget> {
        self.widgets.iter_mut().find(|w| &w.id == id)
    }
}

impl super::Validate for Dashboard {
    fn check(&self) -> Result<(), Invalid> {
        self.validate()
    }
}

fn validate_name(name: &str) -> Result<(), Invalid> {
    let len = name.trim().chars().count();
    if len == 0 {
        return Err(Invalid::new("", "a name is required"));
    }
    if len > 120 {
        return Err(Invalid::new("", "a name is at most 120 characters"));
    }
    Ok(())
}

/// The canvas size the dashboard is designed at; screens scale it to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub width: i32,
    pub height: i32,
}

impl Resolution {
    pub const FULL_HD: Resolution = Resolution {
        width: 1920,
        height: 1080,
    };
    pub const UHD: Resolution = Resolution {
        width: 3840,
        height: 2160,
    };
    pub const PORTRAIT: Resolution = Resolution {
        width: 1080,
        height: 1920,
    };

    pub fn validate(&self) -> Result<(), Invalid> {
        for (field, value) in [("width", self.width), ("height", self.height)] {
            if !(320..=7680).contains(&value) {
                return Err(Invalid::new(
                    field,
                    format!("{value} is outside 320 to 7680 pixels"),
                ));
            }
        }
        Ok(())
    }

    /// `width / height`, for CSS `aspect-ratio`.
    pub fn aspect(&self) -> f64 {
        f64::from(self.width) / f64::from(self.height)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    #[default]
    Dark,
    Light,
}

impl Theme {
    pub fn css_class(self) -> &'static str {
        match self {
            Theme::Dark => "theme-dark",
            Theme::Light => "theme-light",
        }
    }
}

/// A widget's box on the canvas, in design pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    pub const MIN_SIZE: i32 = 40;

    /// Checks that the box has a sensible size and lies inside the canvas. Sums are
    /// taken in 64 bits, so no coordinate can overflow past the check.
    pub fn validate(&self, canvas: &Resolution) -> Result<(), Invalid> {
        let within = |v: i32, lo: i32, hi: i32| (lo..=hi).contains(&v);
        if !within(self.w, Self::MIN_SIZE, canvas.width) {
            return Err(Invalid::new(
                "w",
                format!(
                    "{} is outside {} to {} pixels",
                    self.w,
                    Self::MIN_SIZE,
                    canvas.width
                ),
            ));
        }
        if !within(self.h, Self::MIN_SIZE, canvas.height) {
            return Err(Invalid::new(
                "h",
                format!(
                    "{} is outside {} to {} pixels",
                    self.h,
                    Self::MIN_SIZE,
                    canvas.height
                ),
            ));
        }
        if self.x < 0 || i64::from(self.x) + i64::from(self.w) > i64::from(canvas.width) {
            return Err(Invalid::new(
                "x",
                format!("the widget leaves the {}-pixel-wide canvas", canvas.width),
            ));
        }
        if self.y < 0 || i64::from(self.y) + i64::from(self.h) > i64::from(canvas.height) {
            return Err(Invalid::new(
                "y",
                format!("the widget leaves the {}-pixel-high canvas", canvas.height),
            ));
        }
        Ok(())
    }

    /// The nearest box that has at least the minimum size, fits the canvas and sits on
    /// the grid. The editor applies it after every drag, so saved layouts are valid.
    pub fn fit(self, canvas: &Resolution) -> Rect {
        let snap = |v: i32| ((v as f64 / GRID as f64).round() as i32) * GRID;
        let w = snap(self.w).clamp(Self::MIN_SIZE, canvas.width);
        let h = snap(self.h).clamp(Self::MIN_SIZE, canvas.height);
        let x = snap(self.x).clamp(0, canvas.width - w);
        let y = snap(self.y).clamp(0, canvas.height - h);
        Rect { x, y, w, h }
    }

    /// CSS placing the box as percentages of the canvas, so any screen size scales it.
    pub fn css(&self, canvas: &Resolution) -> String {
        let pct = |v: i32, of: i32| f64::from(v) * 100.0 / f64::from(of);
        format!(
            "left:{:.4}%;top:{:.4}%;width:{:.4}%;height:{:.4}%",
            pct(self.x, canvas.width),
            pct(self.y, canvas.height),
            pct(self.w, canvas.width),
            pct(self.h, canvas.height)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Widget {
    pub id: WidgetId,
    pub rect: Rect,
    #[serde(flatten)]
    pub kind: WidgetKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
}

impl Widget {
    pub fn validate(&self, canvas: &Resolution) -> Result<(), Invalid> {
        self.rect.validate(canvas).map_err(|e| e.within("rect"))?;
        self.kind.validate()?;
        if let Some(binding) = &self.binding {
            binding.validate().map_err(|e| e.within("binding"))?;
        }
        Ok(())
    }
}

/// What a widget shows, with the properties of that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "props", rename_all = "snake_case")]
pub enum WidgetKind {
    /// A big number, with a title and a unit.
    Kpi(KpiProps),
}

impl WidgetKind {
    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            WidgetKind::Kpi(props) => props.validate().map_err(|e| e.within("props")),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            WidgetKind::Kpi(_) => "KPI",
        }
    }

    /// The size a widget of this kind gets when dropped from the palette.
    pub fn default_size(&self) -> (i32, i32) {
        match self {
            WidgetKind::Kpi(_) => (400, 240),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiProps {
    pub title: String,
    #[serde(default)]
    pub unit: String,
    /// Digits after the decimal point, 0 to 6.
    #[serde(default)]
    pub decimals: u8,
}

impl Default for KpiProps {
    fn default() -> Self {
        Self {
            title: "New KPI".into(),
            unit: String::new(),
            decimals: 0,
        }
    }
}

impl KpiProps {
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.title.chars().count() > 200 {
            return Err(Invalid::new("title", "a title is at most 200 characters"));
        }
        if self.unit.chars().count() > 20 {
            return Err(Invalid::new("unit", "a unit is at most 20 characters"));
        }
        if self.decimals > 6 {
            return Err(Invalid::new("decimals", "at most 6 decimals"));
        }
        Ok(())
    }

    /// `1234.5` → `"1,234.50 €"` for decimals 2 and unit `€`.
    pub fn format(&self, value: f64) -> String {
        let text = group_thousands(&format!("{value:.*}", usize::from(self.decimals)));
        if self.unit.is_empty() {
            text
        } else {
            format!("{text} {}", self.unit)
        }
    }
}

fn group_thousands(number: &str) -> String {
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Which dataset a widget reads and which field of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binding {
    pub dataset: DatasetId,
    pub field: String,
}

impl Binding {
    pub fn validate(&self) -> Result<(), Invalid> {
        super::validate_field_name(&self.field).map_err(|e| e.within("field"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(id: &str, rect: Rect) -> Widget {
        Widget {
            id: WidgetId::parse(id).unwrap(),
            rect,
            kind: WidgetKind::Kpi(KpiProps::default()),
            binding: None,
        }
    }

    #[test]
    fn a_new_dashboard_is_full_hd_and_valid() {
        let d = Dashboard::new("Sales").unwrap();
        assert_eq!(d.resolution, Resolution::FULL_HD);
        assert!(d.validate().is_ok());
    }

    #[test]
    fn a_blank_name_is_refused_and_named() {
        let err = Dashboard::new("   ").unwrap_err();
        assert_eq!(err.field, "name");
    }

    #[test]
    fn a_widget_outside_the_canvas_names_its_index_and_field() {
        let mut d = Dashboard::new("x").unwrap();
        d.widgets.push(kpi(
            "w1",
            Rect {
                x: 0,
                y: 0,
                w: 100,
                h: 100,
            },
        ));
        d.widgets.push(kpi(
            "w2",
            Rect {
                x: 1900,
                y: 0,
                w: 100,
                h: 100,
            },
        ));
        let err = d.validate().unwrap_err();
        assert_eq!(err.field, "widgets[1].rect.x");
    }

    #[test]
    fn a_huge_coordinate_cannot_overflow_past_the_check() {
        let r = Rect {
            x: i32::MAX - 10,
            y: 0,
            w: 100,
            h: 100,
        };
        assert_eq!(r.validate(&Resolution::FULL_HD).unwrap_err().field, "x");
    }

    #[test]
    fn two_widgets_with_one_id_are_refused() {
        let mut d = Dashboard::new("x").unwrap();
        let r = Rect {
            x: 0,
            y: 0,
            w: 100,
            h: 100,
        };
        d.widgets.push(kpi("w1", r));
        d.widgets.push(kpi("w1", r));
        assert_eq!(d.validate().unwrap_err().field, "widgets[1].id");
    }

    #[test]
    fn a_malformed_document_names_the_field_that_is_wrong() {
        let text = r#"{"schema_version":1,"name":"x","resolution":{"width":1920,"height":"tall"},"widgets":[]}"#;
        let err = Dashboard::from_json(text).unwrap_err();
        assert_eq!(err.field, "resolution.height");
    }

    #[test]
    fn an_unknown_widget_kind_is_refused() {
        let text = r#"{"schema_version":1,"name":"x","resolution":{"width":1920,"height":1080},
            "widgets":[{"id":"w1","rect":{"x":0,"y":0,"w":100,"h":100},"kind":"rocket","props":{}}]}"#;
        let err = Dashboard::from_json(text).unwrap_err();
        assert!(err.field.starts_with("widgets[0]"), "{err}");
    }

    #[test]
    fn a_future_schema_version_is_refused() {
        let text = r#"{"schema_version":9,"name":"x","resolution":{"width":1920,"height":1080}}"#;
        assert_eq!(
            Dashboard::from_json(text).unwrap_err().field,
            "schema_version"
        );
    }

    #[test]
    fn fit_snaps_to_the_grid_and_keeps_the_box_on_the_canvas() {
        let r = Rect {
            x: 1904,
            y: -7,
            w: 13,
            h: 2000,
        }
        .fit(&Resolution::FULL_HD);
        assert_eq!(
            r,
            Rect {
                x: 1880,
                y: 0,
                w: 40,
                h: 1080
            }
        );
        assert!(r.validate(&Resolution::FULL_HD).is_ok());
    }

    #[test]
    fn a_new_resolution_scales_the_layout_and_keeps_it_valid() {
        let mut d = Dashboard::new("x").unwrap();
        d.widgets.push(kpi(
            "w1",
            Rect {
                x: 960,
                y: 540,
                w: 960,
                h: 540,
            },
        ));
        d.set_resolution(Resolution::UHD);
        assert_eq!(
            d.widgets[0].rect,
            Rect {
                x: 1920,
                y: 1080,
                w: 1920,
                h: 1080
            }
        );
        d.set_resolution(Resolution::PORTRAIT);
        assert!(d.validate().is_ok(), "{:?}", d.validate());
    }

    #[test]
    fn next_widget_id_skips_taken_ids() {
        let mut d = Dashboard::new("x").unwrap();
        let r = Rect {
            x: 0,
            y: 0,
            w: 100,
            h: 100,
        };
        d.widgets.push(kpi("w1", r));
        d.widgets.push(kpi("w3", r));
        assert_eq!(d.next_widget_id().as_str(), "w2");
    }

    #[test]
    fn kpi_values_are_grouped_and_rounded() {
        let props = KpiProps {
            title: "t".into(),
            unit: "€".into(),
            decimals: 2,
        };
        assert_eq!(props.format(1234567.456), "1,234,567.46 €");
        assert_eq!(KpiProps::default().format(-1234.4), "-1,234");
        assert_eq!(KpiProps::default().format(999.0), "999");
    }

    #[test]
    fn documents_round_trip_through_json() {
        let mut d = Dashboard::new("Ops").unwrap();
        d.widgets.push(kpi(
            "w1",
            Rect {
                x: 10,
                y: 20,
                w: 300,
                h: 200,
            },
        ));
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(Dashboard::from_json(&text).unwrap(), d);
    }
}
