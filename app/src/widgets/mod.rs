//! Widget kinds. Each kind is one module holding its props (serde, validated, with
//! defaults), its default size, its data slots, its view and its inspector section;
//! the `kinds!` list below is the one place that names them all. Everything else —
//! the palette, the inspector, the data panel, the canvas — is generic over `Kind`.

pub mod format;
pub mod markdown;
pub mod scale;

mod body;
mod chart;
mod marks;
mod strips;
/// Text made safe for HTML or SVG markup (also for the server's plain HTML pages).
pub use chart::escape_xml;
pub mod inspect;

pub mod bar;
pub mod clock;
pub mod embed;
pub mod gauge;
pub mod image;
pub mod kpi;
pub mod leaderboard;
pub mod line;
pub mod pie;
pub mod progress;
pub mod status;
pub mod table;
pub mod text;

pub use bar::BarChart;
pub use body::{now_ms, Screen, WidgetBody};
pub use clock::Clock;
pub use embed::Embed;
pub use gauge::Gauge;
pub use image::Image;
pub use inspect::Edit;
pub use kpi::Kpi;
pub use leaderboard::Leaderboard;
pub use line::LineChart;
pub use pie::PieChart;
pub use progress::Progress;
pub use status::Status;
pub use table::Table;
pub use text::Text;

use crate::model::{Binding, Frame, Invalid, Look, Slot};
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// One widget kind.
pub trait Kind:
    Clone + PartialEq + Default + Serialize + DeserializeOwned + Send + Sync + std::fmt::Debug + 'static
{
    /// The `kind` tag in stored documents.
    const NAME: &'static str;
    /// What the palette calls it.
    const LABEL: &'static str;
    /// A short glyph for the palette.
    const ICON: &'static str;
    /// Width and height when dropped from the palette, in design pixels.
    const SIZE: (i32, i32);
    /// The fields it reads.
    const SLOTS: &'static [Slot];

    fn validate(&self) -> Result<(), Invalid> {
        Ok(())
    }

    /// The address of another site the widget frames, if it does (the server checks
    /// it against the origins the operator allows).
    fn framed_url(&self) -> Option<&str> {
        None
    }

    /// The look a new widget of this kind starts with.
    fn default_look() -> Look {
        Look::default()
    }

    /// The widget's content, fed by `cx.frame`.
    fn view(&self, cx: Ctx) -> AnyView;

    /// The kind's own section of the inspector.
    fn inspector(edit: Edit<Self>) -> AnyView;
}

/// What a kind's view gets.
#[derive(Clone)]
pub struct Ctx {
    pub look: Look,
    pub binding: Option<Binding>,
    /// The bound dataset's latest frame (`None` before the first one arrives).
    pub frame: Signal<Option<Frame>>,
    /// The content box in design pixels: SVG views draw in these coordinates.
    pub size: (f64, f64),
    pub screen: Screen,
}

impl Ctx {
    /// The fields filling `slot`.
    pub fn fields(&self, slot: &str) -> Vec<String> {
        self.binding
            .as_ref()
            .map(|b| b.fields(slot).to_vec())
            .unwrap_or_default()
    }
}

macro_rules! kinds {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        /// What a widget shows, with the properties of that kind.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", content = "props", rename_all = "snake_case")]
        pub enum WidgetKind {
            $($variant($ty)),*
        }

        impl WidgetKind {
            /// One of each kind, with its defaults, in palette order.
            pub fn palette() -> Vec<WidgetKind> {
                vec![$(WidgetKind::$variant(<$ty>::default())),*]
            }

            pub fn name(&self) -> &'static str {
                match self { $(Self::$variant(_) => <$ty as Kind>::NAME),* }
            }

            pub fn label(&self) -> &'static str {
                match self { $(Self::$variant(_) => <$ty as Kind>::LABEL),* }
            }

            pub fn icon(&self) -> &'static str {
                match self { $(Self::$variant(_) => <$ty as Kind>::ICON),* }
            }

            /// The size a widget of this kind gets when dropped from the palette.
            pub fn default_size(&self) -> (i32, i32) {
                match self { $(Self::$variant(_) => <$ty as Kind>::SIZE),* }
            }

            pub fn slots(&self) -> &'static [Slot] {
                match self { $(Self::$variant(_) => <$ty as Kind>::SLOTS),* }
            }

            pub fn default_look(&self) -> Look {
                match self { $(Self::$variant(_) => <$ty as Kind>::default_look()),* }
            }

            pub fn validate(&self) -> Result<(), Invalid> {
                match self { $(Self::$variant(p) => p.validate()),* }
            }

            pub fn framed_url(&self) -> Option<&str> {
                match self { $(Self::$variant(p) => p.framed_url()),* }
            }

            pub fn view(&self, cx: Ctx) -> AnyView {
                match self { $(Self::$variant(p) => p.view(cx)),* }
            }

            /// The inspector section of `kind`'s kind, editing it through `update`.
            pub fn inspector(
                kind: Signal<WidgetKind>,
                update: inspect::Updater<WidgetKind>,
            ) -> AnyView {
                match kind.get_untracked() {
                    $(Self::$variant(_) => {
                        let props = Signal::derive(move || match kind.get() {
                            Self::$variant(p) => p,
                            _ => <$ty>::default(),
                        });
                        let edit = Edit::new(props, std::sync::Arc::new(move |f: &dyn Fn(&mut $ty)| {
                            update(&|k: &mut WidgetKind| {
                                if let Self::$variant(p) = k {
                                    f(p)
                                }
                            })
                        }));
                        <$ty as Kind>::inspector(edit)
                    })*
                }
            }
        }
    };
}

// The registry: one line per kind.
kinds! {
    Kpi(Kpi),
    Line(LineChart),
    Bar(BarChart),
    Pie(PieChart),
    Gauge(Gauge),
    Progress(Progress),
    Table(Table),
    Leaderboard(Leaderboard),
    Text(Text),
    Image(Image),
    Clock(Clock),
    Status(Status),
    Embed(Embed),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_stored_under_its_own_name_and_round_trips() {
        let mut names = Vec::new();
        for kind in WidgetKind::palette() {
            let text = serde_json::to_value(&kind).unwrap();
            assert_eq!(text["kind"], kind.name(), "{kind:?}");
            let back: WidgetKind = serde_json::from_value(text).unwrap();
            assert_eq!(back, kind);
            assert!(kind.validate().is_ok(), "{kind:?}: defaults are valid");
            let (w, h) = kind.default_size();
            assert!(w >= 80 && h >= 80 && w <= 1920 && h <= 1080);
            assert!(!names.contains(&kind.name()));
            names.push(kind.name());
        }
        assert_eq!(names.len(), 13);
    }

    #[test]
    fn every_slot_name_is_unique_within_its_kind() {
        for kind in WidgetKind::palette() {
            let slots = kind.slots();
            for (i, s) in slots.iter().enumerate() {
                assert!(
                    slots[..i].iter().all(|o| o.name != s.name),
                    "{}",
                    kind.name()
                );
            }
        }
    }
}
