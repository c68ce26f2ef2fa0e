//! Screens on the wall: what a paired TV shows (a dashboard or a playlist), how it fits
//! the picture to the panel, playlists of dashboards, and the pairing code a TV shows
//! until someone claims it.

use super::{DashboardId, Invalid, PlaylistId};
use serde::{Deserialize, Serialize};

/// What a screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Shows {
    /// Paired, nothing assigned yet: the screen says so and waits.
    #[default]
    Nothing,
    Dashboard(DashboardId),
    Playlist(PlaylistId),
}

/// How a dashboard meets a panel of another shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Scaled whole into the panel, black bars where the shapes differ.
    #[default]
    Letterbox,
    /// Stretched to the whole panel.
    Fill,
}

impl Fit {
    pub const ALL: [Fit; 2] = [Fit::Letterbox, Fit::Fill];

    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Letterbox => "letterbox",
            Fit::Fill => "fill",
        }
    }

    pub fn parse(raw: &str) -> Option<Fit> {
        Fit::ALL.into_iter().find(|f| f.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Fit::Letterbox => "Scale to fit (letterbox)",
            Fit::Fill => "Fill the screen",
        }
    }
}

/// How one slide of a playlist replaces the one before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    #[default]
    Cut,
    Fade,
}

/// One dashboard of a playlist and how long it stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slide {
    pub dashboard: DashboardId,
    /// 5 s to 1 h.
    pub seconds: u32,
    #[serde(default)]
    pub transition: Transition,
}

/// An ordered list of dashboards a screen shows in turn, looping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Playlist {
    pub name: String,
    pub slides: Vec<Slide>,
}

pub const MIN_SLIDE_SECONDS: u32 = 5;
pub const MAX_SLIDE_SECONDS: u32 = 3600;
pub const MAX_SLIDES: usize = 50;
pub const MAX_SCREEN_NAME_CHARS: usize = 80;

/// A screen's or playlist's name: trimmed, 1 to 80 characters, no control characters.
pub fn check_name(raw: &str, field: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_SCREEN_NAME_CHARS {
        return Err(Invalid::new(
            field,
            format!("a name has 1 to {MAX_SCREEN_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "a name may not hold control characters",
        ));
    }
    Ok(name.to_string())
}

impl Playlist {
    /// Checks the name and every slide, naming the first that is wrong.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_name(&self.name, "name")?;
        if self.slides.is_empty() || self.slides.len() > MAX_SLIDES {
            return Err(Invalid::new(
                "slides",
                format!("a playlist has 1 to {MAX_SLIDES} dashboards"),
            ));
        }
        for (i, slide) in self.slides.iter().enumerate() {
            if !(MIN_SLIDE_SECONDS..=MAX_SLIDE_SECONDS).contains(&slide.seconds) {
                return Err(Invalid::new(
                    format!("slides[{i}].seconds"),
                    format!(
                        "a dashboard stays {MIN_SLIDE_SECONDS} s to {MAX_SLIDE_SECONDS} s (1 hour), \
                         not {} s",
                        slide.seconds
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The dashboards it shows, each once, in order.
    pub fn dashboards(&self) -> Vec<DashboardId> {
        let mut out: Vec<DashboardId> = Vec::new();
        for slide in &self.slides {
            if !out.contains(&slide.dashboard) {
                out.push(slide.dashboard.clone());
            }
        }
        out
    }
}

/// The letters a pairing code is made of: no 0/O, 1/I/L, so it reads right across a
/// room; 31^6 ≈ 887 million codes.
pub const PAIRING_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const PAIRING_CODE_LEN: usize = 6;
/// How long a pairing code can be claimed.
pub const PAIRING_MS: i64 = 10 * 60 * 1000;

/// A pairing code as typed: case, spaces and dashes do not matter.
pub fn normalize_pairing_code(raw: &str) -> Result<String, Invalid> {
    if raw.len() > 64 {
        return Err(Invalid::new("code", "a pairing code has 6 characters"));
    }
    let code: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let fine =
        code.len() == PAIRING_CODE_LEN && code.bytes().all(|b| PAIRING_ALPHABET.contains(&b));
    if !fine {
        return Err(Invalid::new(
            "code",
            format!(
                "a pairing code has {PAIRING_CODE_LEN} letters and digits, as the screen shows it"
            ),
        ));
    }
    Ok(code)
}

/// A code as a screen shows it: `ABC DEF`.
pub fn spaced_pairing_code(code: &str) -> String {
    let mid = code.len() / 2;
    match (code.get(..mid), code.get(mid..)) {
        (Some(a), Some(b)) => format!("{a} {b}"),
        _ => code.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slide(seconds: u32) -> Slide {
        Slide {
            dashboard: DashboardId::parse("d1").unwrap(),
            seconds,
            transition: Transition::Fade,
        }
    }

    #[test]
    fn a_typed_code_is_read_as_shown() {
        assert_eq!(normalize_pairing_code(" abc-def ").unwrap(), "ABCDEF");
        assert_eq!(spaced_pairing_code("ABCDEF"), "ABC DEF");
    }

    #[test]
    fn codes_of_other_lengths_or_letters_are_refused_naming_the_field() {
        for bad in ["ABCDE", "ABCDEFG", "ABCD0F", "ABCDE!", &"A".repeat(100)] {
            let err = normalize_pairing_code(bad).unwrap_err();
            assert_eq!(err.field, "code", "{bad}");
        }
    }

    #[test]
    fn slides_outside_5_s_to_1_h_are_refused_with_their_place() {
        let mut p = Playlist {
            name: "Lobby".into(),
            slides: vec![slide(5), slide(3600)],
        };
        assert!(p.validate().is_ok());
        p.slides.push(slide(4));
        let err = p.validate().unwrap_err();
        assert_eq!(err.field, "slides[2].seconds");
        p.slides[2].seconds = 3601;
        assert_eq!(p.validate().unwrap_err().field, "slides[2].seconds");
    }

    #[test]
    fn an_empty_or_unnamed_playlist_is_refused() {
        let p = Playlist {
            name: " ".into(),
            slides: vec![slide(10)],
        };
        assert_eq!(p.validate().unwrap_err().field, "name");
        let p = Playlist {
            name: "Lobby".into(),
            slides: vec![],
        };
        assert_eq!(p.validate().unwrap_err().field, "slides");
    }

    #[test]
    fn what_a_screen_shows_reads_and_writes_as_tagged_json() {
        let shows = Shows::Playlist(PlaylistId::parse("p1").unwrap());
        let text = serde_json::to_string(&shows).unwrap();
        assert_eq!(text, r#"{"kind":"playlist","id":"p1"}"#);
        assert_eq!(serde_json::from_str::<Shows>(&text).unwrap(), shows);
        assert_eq!(
            serde_json::from_str::<Shows>(r#"{"kind":"nothing"}"#).unwrap(),
            Shows::Nothing
        );
    }
}
