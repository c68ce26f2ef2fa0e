//! How values are written on a wall: numbers per locale (grouping, compact units,
//! percent, currency), instants in a zone with a strftime subset, ages and countdowns,
//! and the colours that thresholds and value maps give them.
//!
//! Everything here is pure and total: no input (NaN, infinities, negative zero, `i64`
//! extremes, absurd strings) makes it panic; what cannot be written shows as `—`.
//!
//! Zones: fixed offsets are computed here; IANA names (`Europe/Paris`) are looked up
//! with chrono-tz on the server and with the browser's `Intl.DateTimeFormat` in wasm,
//! so both sides agree without shipping the zone database to the browser.

use serde::{Deserialize, Serialize};

mod color;
mod number;
mod time;

pub use color::*;
pub use number::*;
pub use time::*;

/// What is shown for a value that cannot be written: missing, not finite, out of range.
pub const DASH: &str = "—";

/// The most decimals a format may ask for.
pub const MAX_DECIMALS: u8 = 6;
/// The longest prefix or suffix, in characters.
pub const MAX_AFFIX_CHARS: usize = 20;
/// The longest date pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 60;
/// The longest zone name, in characters.
pub const MAX_ZONE_CHARS: usize = 64;
/// The most threshold steps.
pub const MAX_STEPS: usize = 20;
/// The most value-map entries.
pub const MAX_MAP_ENTRIES: usize = 50;
/// The longest value-map text (`equals` and `label`), in characters.
pub const MAX_MAP_TEXT_CHARS: usize = 100;
/// Arrays and objects are shown as compact JSON cut to this many characters.
pub const MAX_JSON_CHARS: usize = 80;

const NBSP: &str = "\u{a0}";
const NNBSP: &str = "\u{202f}";

// ---------------------------------------------------------------------------------
// Locales
// ---------------------------------------------------------------------------------

/// The conventions numbers and dates are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// English (US): `1,234.5`, `$1.00`.
    #[default]
    En,
    /// English (UK): `1,234.5`, `£1.00`.
    EnGb,
    /// German: `1.234,5`, `1,00 €`.
    De,
    /// French: `1 234,5` (narrow no-break space), `1,00 €`.
    Fr,
    /// Spanish: `1234,5` and `12.345,5` (groups from five digits), `1,00 €`.
    Es,
    /// Italian: `1.234,5`, `1,00 €`.
    It,
    /// Dutch: `1.234,5`, `€ 1,00`.
    Nl,
    /// Portuguese (Brazil): `1.234,5`, `R$ 1,00`.
    Pt,
    /// Swedish: `1 234,5` (no-break space), `1,00 kr`.
    Sv,
    /// Japanese: `1,234.5`, `¥1`.
    Ja,
    /// Hindi (India): `12,34,567.5` (lakh grouping), `₹1.00`.
    Hi,
}

/// Where a locale writes the currency symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurrencyPlacement {
    /// `$1.00` (a space is still put after a symbol made of letters: `CHF 1.00`).
    Before,
    /// `€ 1,00`.
    BeforeSpaced,
    /// `1,00 €`.
    After,
}

/// How the integer digits are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grouping {
    /// Groups of three: `1,234,567`.
    Thousands,
    /// Groups of three, but only from five digits on: `1234`, `12.345`.
    ThousandsFromFive,
    /// The last three, then groups of two: `12,34,567`.
    Lakh,
}

impl Locale {
    /// Every locale, in the order the inspector lists them.
    pub const ALL: [Locale; 11] = [
        Locale::En,
        Locale::EnGb,
        Locale::De,
        Locale::Fr,
        Locale::Es,
        Locale::It,
        Locale::Nl,
        Locale::Pt,
        Locale::Sv,
        Locale::Ja,
        Locale::Hi,
    ];

    /// The BCP 47 tag: `en`, `en-GB`, `de`, `pt-BR`.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::EnGb => "en-GB",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
            Locale::It => "it",
            Locale::Nl => "nl",
            Locale::Pt => "pt-BR",
            Locale::Sv => "sv",
            Locale::Ja => "ja",
            Locale::Hi => "hi",
        }
    }

    /// The name in its own language, for the inspector's select.
    pub fn label(self) -> &'static str {
        match self {
            Locale::En => "English (US)",
            Locale::EnGb => "English (UK)",
            Locale::De => "Deutsch",
            Locale::Fr => "Français",
            Locale::Es => "Español",
            Locale::It => "Italiano",
            Locale::Nl => "Nederlands",
            Locale::Pt => "Português (Brasil)",
            Locale::Sv => "Svenska",
            Locale::Ja => "日本語",
            Locale::Hi => "हिन्दी",
        }
    }

    pub fn decimal_separator(self) -> char {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => '.',
            _ => ',',
        }
    }

    pub fn group_separator(self) -> &'static str {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => ",",
            Locale::De | Locale::Es | Locale::It | Locale::Nl | Locale::Pt => ".",
            Locale::Fr => NNBSP,
            Locale::Sv => NBSP,
        }
    }

    pub fn currency_placement(self) -> CurrencyPlacement {
        match self {
            Locale::En | Locale::EnGb | Locale::Ja | Locale::Hi => CurrencyPlacement::Before,
            Locale::Nl | Locale::Pt => CurrencyPlacement::BeforeSpaced,
            Locale::De | Locale::Fr | Locale::Es | Locale::It | Locale::Sv => {
                CurrencyPlacement::After
            }
        }
    }

    /// What follows a percentage: `%`, or a no-break space and `%`.
    pub fn percent_sign(self) -> &'static str {
        match self {
            Locale::De | Locale::Es | Locale::Sv => "\u{a0}%",
            Locale::Fr => "\u{202f}%",
            _ => "%",
        }
    }

    fn grouping(self) -> Grouping {
        match self {
            Locale::Es => Grouping::ThousandsFromFive,
            Locale::Hi => Grouping::Lakh,
            _ => Grouping::Thousands,
        }
    }

    fn names(self) -> &'static Names {
        match self {
            Locale::De => &GERMAN,
            Locale::Fr => &FRENCH,
            _ => &ENGLISH,
        }
    }
}

#[cfg(test)]
mod tests;
