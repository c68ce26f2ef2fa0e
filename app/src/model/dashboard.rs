//! A dashboard document: design resolution, theme and widgets placed on the canvas.
//! Stored as JSON with a schema version; `Dashboard::validate` is the one gate every
//! document passes, in the editor before saving and on the server before storing.

use super::{Binding, DatasetId, Invalid, WidgetId};
use crate::widgets::format::{Color, DateFormat, NumberFormat, Thresholds};
pub use crate::widgets::WidgetKind;
use serde::{Deserialize, Serialize};

/// The schema version this build reads and writes. Older documents are upgraded on
/// reading (`super::migrate`).
pub const SCHEMA_VERSION: u32 = 2;
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

/// The name of a copy: "Sales (copy)", within the 120 characters a name may have.
pub fn copy_name(name: &str) -> String {
    let kept: String = name.chars().take(113).collect();
    format!("{} (copy)", kept.trim_end())
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
        let raw: serde_json::Value = super::parse_json(text)?;
        let raw = super::migrate::upgrade(raw)?;
        let dashboard: Self =
            serde_path_to_error::deserialize(raw).map_err(super::validation::located)?;
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

    fn upgrade(raw: serde_json::Value) -> Result<serde_json::Value, Invalid> {
        super::migrate::upgrade(raw)
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
    /// White on black with strong colours, for far-away or low-quality screens.
    HighContrast,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::Dark, Theme::Light, Theme::HighContrast];

    pub fn css_class(self) -> &'static str {
        match self {
            Theme::Dark => "theme-dark",
            Theme::Light => "theme-light",
            Theme::HighContrast => "theme-contrast",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::HighContrast => "high_contrast",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::Dark => "Dark",
            Theme::Light => "Light",
            Theme::HighContrast => "High contrast",
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

    /// The nearest box that has at least the minimum size and lies on the canvas, off
    /// the grid if it is (a box snapped to another widget's edge, or moved with Alt).
    pub fn keep_inside(self, canvas: &Resolution) -> Rect {
        let w = self.w.clamp(Self::MIN_SIZE, canvas.width);
        let h = self.h.clamp(Self::MIN_SIZE, canvas.height);
        Rect {
            x: self.x.clamp(0, canvas.width - w),
            y: self.y.clamp(0, canvas.height - h),
            w,
            h,
        }
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
    /// Title, formatting, thresholds and the rest every kind shares.
    #[serde(default)]
    pub look: Look,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binding: Option<Binding>,
    /// A locked widget stays where it is: the editor selects it but does not move,
    /// resize or delete it until it is unlocked.
    #[serde(default, skip_serializing_if = "is_false")]
    pub locked: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Widget {
    /// A widget of `kind` at `rect`, with the kind's default look.
    pub fn new(id: WidgetId, rect: Rect, kind: WidgetKind) -> Self {
        let look = kind.default_look();
        Self {
            id,
            rect,
            kind,
            look,
            binding: None,
            locked: false,
        }
    }

    pub fn validate(&self, canvas: &Resolution) -> Result<(), Invalid> {
        self.rect.validate(canvas).map_err(|e| e.within("rect"))?;
        self.kind.validate().map_err(|e| e.within("props"))?;
        self.look.validate().map_err(|e| e.within("look"))?;
        if let Some(binding) = &self.binding {
            binding
                .validate(self.kind.slots())
                .map_err(|e| e.within("binding"))?;
        }
        Ok(())
    }
}

/// What every kind shares: its title, how numbers and times are written, threshold
/// colours, an accent colour, a link, and when its data counts as stale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Look {
    pub title: String,
    pub subtitle: String,
    pub format: NumberFormat,
    pub time_format: DateFormat,
    pub thresholds: Thresholds,
    /// Overrides the theme's accent (the series colour of one-series charts).
    pub color: Option<Color>,
    /// Where clicking the widget goes (view and share pages; not kiosks).
    pub link: Option<Link>,
    /// After how many refresh intervals without an update the widget shows a stale
    /// badge (0: never). Pushed datasets have no interval: see `stale_after_secs`.
    pub stale_after: u32,
    /// Stale after this many seconds without an update, whatever the interval.
    pub stale_after_secs: Option<u32>,
}

impl Default for Look {
    fn default() -> Self {
        Self {
            title: String::new(),
            subtitle: String::new(),
            format: NumberFormat::default(),
            time_format: DateFormat::default(),
            thresholds: Thresholds::default(),
            color: None,
            link: None,
            stale_after: 3,
            stale_after_secs: None,
        }
    }
}

impl Look {
    pub fn titled(title: &str) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        if self.title.chars().count() > 200 {
            return Err(Invalid::new("title", "a title is at most 200 characters"));
        }
        if self.subtitle.chars().count() > 200 {
            return Err(Invalid::new(
                "subtitle",
                "a subtitle is at most 200 characters",
            ));
        }
        self.format.validate().map_err(|e| e.within("format"))?;
        self.time_format
            .validate()
            .map_err(|e| e.within("time_format"))?;
        self.thresholds
            .validate()
            .map_err(|e| e.within("thresholds"))?;
        if let Some(c) = &self.color {
            c.validate().map_err(|e| e.within("color"))?;
        }
        if let Some(link) = &self.link {
            link.validate().map_err(|e| e.within("link"))?;
        }
        if self.stale_after > 1000 {
            return Err(Invalid::new("stale_after", "at most 1000 intervals"));
        }
        Ok(())
    }
}

/// Where a widget leads: a web page (opened in a new tab) or another dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Link {
    Url { url: String },
    Dashboard { id: super::DashboardId },
}

impl Link {
    pub fn validate(&self) -> Result<(), Invalid> {
        match self {
            Link::Url { url } => safe_url(url)
                .map(|_| ())
                .map_err(|e| Invalid::new("url", e)),
            Link::Dashboard { .. } => Ok(()),
        }
    }

    /// The address the link opens on a view page.
    pub fn href(&self) -> String {
        match self {
            Link::Url { url } => url.clone(),
            Link::Dashboard { id } => format!("/view/{id}"),
        }
    }
}

/// Checks that `url` is an absolute `http(s)` address of at most 2,000 characters: the
/// only kind of address a widget may open or show (no `javascript:`, no `data:`).
pub fn safe_url(url: &str) -> Result<&str, String> {
    let u = url.trim();
    if u.len() > 2000 {
        return Err("an address is at most 2000 characters".into());
    }
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| "an address starts with https:// or http://".to_string())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty()
        || u.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '<' || c == '>')
    {
        return Err(format!("'{u}' is not a valid address"));
    }
    Ok(u)
}

/// The origin (`https://host:port`) of a safe URL, lower-cased.
pub fn url_origin(url: &str) -> Option<String> {
    let u = safe_url(url).ok()?.to_ascii_lowercase();
    let (scheme, rest) = u.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kpi(id: &str, rect: Rect) -> Widget {
        Widget::new(
            WidgetId::parse(id).unwrap(),
            rect,
            WidgetKind::Kpi(Default::default()),
        )
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
    fn only_http_addresses_are_safe_to_link_or_show() {
        assert!(safe_url("https://example.com/a?b=1").is_ok());
        for bad in [
            "javascript:alert(1)",
            " data:text/html,x",
            "//evil.example",
            "https://",
            "https://a b",
            "ftp://x",
        ] {
            assert!(safe_url(bad).is_err(), "{bad}");
        }
        assert_eq!(
            url_origin("https://User@Grafana.Example:8443/d/x").as_deref(),
            Some("https://grafana.example:8443")
        );
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
