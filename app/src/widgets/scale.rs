//! Axes for hand-written SVG charts: round 1-2-5 ticks for numbers, ticks on natural
//! units of time, a linear map from values to pixels, and tick labels.
//!
//! Every function is total and bounded: non-finite, reversed, zero-width, tiny and
//! huge ranges all give a sane answer, and no input makes more than a fixed number of
//! iterations (ticks are capped at [`MAX_TICKS`]).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::format::{Notation, NumberFormat, DASH};

/// The most ticks any axis asks for; larger `max_count`s are cut to this.
pub const MAX_TICKS: usize = 1000;

/// A step of `mantissa × 10^exp`, `mantissa` being 1, 2 or 5.
#[derive(Debug, Clone, Copy)]
struct NiceStep {
    mantissa: f64,
    exp: i32,
}

impl NiceStep {
    /// The smallest 1-2-5 step at least `raw` (positive and normal).
    fn at_least(raw: f64) -> Self {
        let exp = raw.log10().floor() as i32;
        let norm = raw / 10f64.powi(exp);
        match norm {
            n if n <= 1.0 => NiceStep { mantissa: 1.0, exp },
            n if n <= 2.0 => NiceStep { mantissa: 2.0, exp },
            n if n <= 5.0 => NiceStep { mantissa: 5.0, exp },
            _ => NiceStep {
                mantissa: 1.0,
                exp: exp + 1,
            },
        }
    }

    fn next(self) -> Self {
        match self.mantissa as u8 {
            1 => NiceStep {
                mantissa: 2.0,
                ..self
            },
            2 => NiceStep {
                mantissa: 5.0,
                ..self
            },
            _ => NiceStep {
                mantissa: 1.0,
                exp: self.exp + 1,
            },
        }
    }

    fn size(self) -> f64 {
        self.multiple(1.0)
    }

    /// `k` steps, computed as `k·m / 10^-exp` for small steps so that `3 × 0.1` is
    /// written `0.3`, not `0.30000000000000004`.
    fn multiple(self, k: f64) -> f64 {
        let j = k * self.mantissa;
        let v = if self.exp >= 0 {
            j * 10f64.powi(self.exp)
        } else {
            j / 10f64.powi(-self.exp)
        };
        v + 0.0 // no negative zero
    }
}

/// Round ticks covering `[min, max]` (in either order), at most `max_count + 1` of
/// them, on a 1-2-5 step; the first and last are the domain extended to the step.
/// A zero-width range gives that one value; a non-finite bound gives none; a range
/// too wide or too narrow for a step to be computed gives its two bounds.
pub fn nice_ticks(min: f64, max: f64, max_count: usize) -> Vec<f64> {
    if !min.is_finite() || !max.is_finite() {
        return Vec::new();
    }
    let (lo, hi) = if min <= max { (min, max) } else { (max, min) };
    if lo == hi {
        return vec![lo + 0.0];
    }
    let count = max_count.clamp(1, MAX_TICKS);
    let span = hi - lo;
    let raw = span / count as f64;
    if !span.is_finite() || !raw.is_normal() {
        return vec![lo, hi];
    }
    let mut step = NiceStep::at_least(raw);
    // Extending the bounds can add a step; the next 1-2-5 step always fits.
    for _ in 0..4 {
        let size = step.size();
        if !size.is_normal() {
            break;
        }
        // The quotients are rounded: nudge the bounds out by a step if they fell inside.
        let mut first = (lo / size).floor();
        if step.multiple(first) > lo {
            first -= 1.0;
        }
        let mut last = (hi / size).ceil();
        if step.multiple(last) < hi {
            last += 1.0;
        }
        let n = last - first;
        if n <= count as f64 {
            let mut ticks: Vec<f64> = (0..=n as usize)
                .map(|i| step.multiple(first + i as f64))
                .collect();
            if ticks.iter().any(|t| !t.is_finite()) {
                break;
            }
            // Beyond 2^53 steps from zero, neighbours can round to the same value.
            ticks.dedup();
            return ticks;
        }
        step = step.next();
    }
    vec![lo, hi]
}

/// The domain [`nice_ticks`] extends `[min, max]` to: its first and last tick;
/// `(0, 1)` when a bound is not finite.
pub fn nice_domain(min: f64, max: f64, max_count: usize) -> (f64, f64) {
    let ticks = nice_ticks(min, max, max_count);
    match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) => (*a, *b),
        _ => (0.0, 1.0),
    }
}

/// A linear map from the domain `d0..d1` to the range `r0..r1` (pixels; `r0 > r1`
/// for a y axis that grows upwards).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    pub fn new((d0, d1): (f64, f64), (r0, r1): (f64, f64)) -> Self {
        Self { d0, d1, r0, r1 }
    }

    /// Where `v` lands in the range. A zero-width (or non-finite) domain maps
    /// everything to the middle of the range; values outside the domain land outside
    /// the range; a non-finite `v` gives a non-finite position, for callers to skip.
    pub fn map(&self, v: f64) -> f64 {
        let width = self.d1 - self.d0;
        if width == 0.0 || !width.is_finite() {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / width * (self.r1 - self.r0)
    }
}

/// The unit time ticks are spaced by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStep {
    Seconds(u32),
    Minutes(u32),
    Hours(u32),
    /// `Days(7)` ticks fall on Mondays.
    Days(u32),
    Months(u32),
    Years(u32),
}

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The steps tried in order, before multiples of years.
const TIME_STEPS: [TimeStep; 17] = [
    TimeStep::Seconds(1),
    TimeStep::Seconds(5),
    TimeStep::Seconds(15),
    TimeStep::Seconds(30),
    TimeStep::Minutes(1),
    TimeStep::Minutes(5),
    TimeStep::Minutes(15),
    TimeStep::Minutes(30),
    TimeStep::Hours(1),
    TimeStep::Hours(3),
    TimeStep::Hours(6),
    TimeStep::Hours(12),
    TimeStep::Days(1),
    TimeStep::Days(7),
    TimeStep::Months(1),
    TimeStep::Months(3),
    TimeStep::Years(1),
];

impl TimeStep {
    /// A strftime pattern (of [`super::format::DateFormat`]'s subset) that fits ticks
    /// this far apart.
    pub fn label_pattern(self) -> &'static str {
        match self {
            TimeStep::Seconds(_) => "%H:%M:%S",
            TimeStep::Minutes(_) | TimeStep::Hours(_) => "%H:%M",
            TimeStep::Days(_) => "%b %e",
            TimeStep::Months(_) => "%b %Y",
            TimeStep::Years(_) => "%Y",
        }
    }

    /// The step's length; months and years on average.
    fn approx_ms(self) -> f64 {
        match self {
            TimeStep::Seconds(n) => f64::from(n) * SECOND as f64,
            TimeStep::Minutes(n) => f64::from(n) * MINUTE as f64,
            TimeStep::Hours(n) => f64::from(n) * HOUR as f64,
            TimeStep::Days(n) => f64::from(n) * DAY as f64,
            TimeStep::Months(n) => f64::from(n) * 30.44 * DAY as f64,
            TimeStep::Years(n) => f64::from(n) * 365.25 * DAY as f64,
        }
    }
}

/// Ticks on natural units of time (see [`time_ticks_in`]), in UTC.
pub fn time_ticks(min_ms: i64, max_ms: i64, max_count: usize) -> (Vec<i64>, TimeStep) {
    time_ticks_in(min_ms, max_ms, max_count, 0)
}

/// Instants (Unix ms) inside `[min_ms, max_ms]` on the smallest natural step that
/// gives at most `max_count` of them: 1/5/15/30 s, 1/5/15/30 min, 1/3/6/12 h, 1 d,
/// 7 d, 1 and 3 months, then 1-2-5 multiples of years. Steps align to the clock
/// `offset_minutes` east of UTC (days start at that local midnight); one offset
/// holds for the whole axis, so a daylight-saving change inside it shifts later day
/// ticks by an hour. A zero-width range gives its one instant.
pub fn time_ticks_in(
    min_ms: i64,
    max_ms: i64,
    max_count: usize,
    offset_minutes: i32,
) -> (Vec<i64>, TimeStep) {
    let first = TimeStep::Seconds(1);
    // Chrono's calendar spans about ±262,000 years; axes are kept inside it.
    let (floor, ceil) = (
        DateTime::<Utc>::MIN_UTC.timestamp_millis() + DAY,
        DateTime::<Utc>::MAX_UTC.timestamp_millis() - DAY,
    );
    let (lo, hi) = if min_ms <= max_ms {
        (min_ms, max_ms)
    } else {
        (max_ms, min_ms)
    };
    let (lo, hi) = (lo.clamp(floor, ceil), hi.clamp(floor, ceil));
    if lo == hi {
        return (vec![lo], first);
    }
    let count = max_count.clamp(1, MAX_TICKS);
    let offset = i64::from(offset_minutes.clamp(-18 * 60, 18 * 60)) * MINUTE;
    let span = (hi - lo) as f64;
    let years = (0..9).flat_map(|e| [1, 2, 5].map(|m| TimeStep::Years(m * 10u32.pow(e))));
    for step in TIME_STEPS.into_iter().chain(years.skip(1)) {
        if span / step.approx_ms() > count as f64 + 1.0 {
            continue;
        }
        if let Some(ticks) = ticks_on(step, lo, hi, offset, count) {
            return (ticks, step);
        }
    }
    (Vec::new(), TimeStep::Years(500_000_000))
}

/// The ticks of `step` in `[lo, hi]`, or `None` when there are more than `count`.
fn ticks_on(step: TimeStep, lo: i64, hi: i64, offset: i64, count: usize) -> Option<Vec<i64>> {
    let mut ticks = Vec::new();
    let mut push = |t: i64| -> bool {
        if t >= lo && t <= hi {
            ticks.push(t);
        }
        ticks.len() <= count
    };
    // (size, anchor): ticks fall on the anchor plus multiples of the size, local time.
    let every = match step {
        TimeStep::Seconds(n) => Some((i64::from(n) * SECOND, 0)),
        TimeStep::Minutes(n) => Some((i64::from(n) * MINUTE, 0)),
        TimeStep::Hours(n) => Some((i64::from(n) * HOUR, 0)),
        // 1970-01-05 was a Monday.
        TimeStep::Days(7) => Some((7 * DAY, 4 * DAY)),
        TimeStep::Days(n) => Some((i64::from(n) * DAY, 0)),
        TimeStep::Months(_) | TimeStep::Years(_) => None,
    };
    if let Some((size, anchor)) = every {
        let local = lo + offset - anchor;
        let mut t = local.div_euclid(size) * size + anchor - offset;
        while t <= hi {
            if !push(t) {
                return None;
            }
            t += size;
        }
        return Some(ticks);
    }
    let start = DateTime::from_timestamp_millis(lo + offset)?.date_naive();
    // Months counted from year 0, so that steps align to January.
    let (months, first) = match step {
        TimeStep::Months(n) => (i64::from(n), i64::from(start.year()) * 12),
        TimeStep::Years(n) => {
            let n = i64::from(n);
            (n * 12, i64::from(start.year()).div_euclid(n) * n * 12)
        }
        _ => return None,
    };
    let mut index = first;
    loop {
        let year = i32::try_from(index.div_euclid(12)).ok()?;
        let Some(day) = NaiveDate::from_ymd_opt(year, index.rem_euclid(12) as u32 + 1, 1) else {
            // Before the calendar's first day (aligning can step back past it): move on.
            if year < start.year() {
                index += months;
                continue;
            }
            return Some(ticks);
        };
        let t = day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis() - offset;
        if t > hi {
            return Some(ticks);
        }
        if !push(t) {
            return None;
        }
        index += months;
    }
}

/// A tick label with as many decimals as the step needs (`0.25` steps: `0.50`),
/// grouped (`1,500`); steps of 1000 and more in compact units (`1M`, `2.5M`); steps
/// under a millionth in scientific notation.
pub fn compact_tick(v: f64, step: f64) -> String {
    if !v.is_finite() {
        return DASH.to_string();
    }
    let step = step.abs();
    if step.is_finite() && step >= 1000.0 {
        let unit = [1e12, 1e9, 1e6, 1e3]
            .into_iter()
            .find(|u| v.abs() >= *u)
            .unwrap_or(1.0);
        let format = NumberFormat {
            notation: Notation::Compact,
            decimals: Some(decimals_for(step / unit)),
            ..NumberFormat::default()
        };
        return format.format(v);
    }
    if step > 0.0 && step < 1e-6 && v != 0.0 {
        // Enough significant digits to tell ticks a step apart.
        let digits = (v.abs().log10().floor() - step.log10().floor()).clamp(0.0, 16.0) as usize;
        return format!("{v:.digits$e}");
    }
    let decimals = if step > 0.0 && step.is_finite() {
        decimals_for(step)
    } else {
        2
    };
    NumberFormat::with_decimals(decimals).format(v)
}

/// The fewest decimals (at most 6) that write `step` exactly.
fn decimals_for(step: f64) -> u8 {
    (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(i32::from(*d));
            (scaled - scaled.round()).abs() <= 1e-9 * scaled.abs().max(1.0)
        })
        .unwrap_or(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(iso: &str) -> i64 {
        DateTime::parse_from_rfc3339(iso)
            .unwrap_or_else(|e| panic!("{iso}: {e}"))
            .timestamp_millis()
    }

    fn iso(ticks: &[i64]) -> Vec<String> {
        ticks
            .iter()
            .map(|t| {
                DateTime::from_timestamp_millis(*t)
                    .unwrap()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn ticks_are_round_and_extend_the_range_to_them() {
        let hundred = [0.0, 20.0, 40.0, 60.0, 80.0, 100.0];
        assert_eq!(nice_ticks(0.0, 100.0, 5), hundred);
        assert_eq!(nice_ticks(3.0, 97.0, 5), hundred);
        assert_eq!(nice_ticks(97.0, 3.0, 5), hundred, "reversed");
        assert_eq!(nice_ticks(0.0, 1.0, 5), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(0.0, 1.0, 4), [0.0, 0.5, 1.0]);
        assert_eq!(nice_ticks(0.0, 100.0, 0), [0.0, 100.0]);
        assert_eq!(nice_domain(3.0, 97.0, 5), (0.0, 100.0));
    }

    #[test]
    fn negative_ranges_tick_through_zero() {
        assert_eq!(nice_ticks(-7.0, 13.0, 4), [-10.0, 0.0, 10.0, 20.0]);
        assert_eq!(nice_ticks(-0.35, -0.05, 3), [-0.4, -0.2, 0.0]);
    }

    #[test]
    fn tiny_and_huge_ranges_get_round_steps() {
        assert_eq!(
            nice_ticks(0.001, 0.0042, 4),
            [0.001, 0.002, 0.003, 0.004, 0.005]
        );
        assert_eq!(nice_ticks(0.0, 3e15, 3), [0.0, 1e15, 2e15, 3e15]);
        assert_eq!(nice_ticks(1e-300, 3e-300, 2).len(), 3);
    }

    #[test]
    fn degenerate_ranges_give_sane_ticks() {
        assert_eq!(nice_ticks(5.0, 5.0, 5), [5.0]);
        assert_eq!(nice_ticks(-0.0, 0.0, 5), [0.0]);
        assert!(nice_ticks(f64::NAN, 1.0, 5).is_empty());
        assert!(nice_ticks(0.0, f64::INFINITY, 5).is_empty());
        assert_eq!(nice_domain(f64::NAN, 1.0, 5), (0.0, 1.0));
        assert_eq!(nice_ticks(-f64::MAX, f64::MAX, 5), [-f64::MAX, f64::MAX]);
        assert_eq!(nice_ticks(0.0, f64::MAX, 5), [0.0, f64::MAX]);
        assert_eq!(nice_ticks(0.0, 5e-324, 5), [0.0, 5e-324]);
        assert_eq!(nice_ticks(0.0, 1.0, usize::MAX).len(), 1001);
    }

    #[test]
    fn a_linear_scale_maps_the_domain_onto_the_range() {
        let x = Linear::new((0.0, 100.0), (0.0, 200.0));
        assert_eq!(x.map(50.0), 100.0);
        assert_eq!(x.map(150.0), 300.0);
        let y = Linear::new((0.0, 10.0), (300.0, 0.0));
        assert_eq!(y.map(0.0), 300.0);
        assert_eq!(y.map(10.0), 0.0);
        assert_eq!(Linear::new((5.0, 5.0), (0.0, 100.0)).map(5.0), 50.0);
        assert_eq!(Linear::new((0.0, f64::NAN), (0.0, 100.0)).map(1.0), 50.0);
    }

    #[test]
    fn time_ticks_fall_on_natural_units() {
        let (t, step) = time_ticks(0, 60_000, 6);
        assert_eq!(step, TimeStep::Seconds(15));
        assert_eq!(t, [0, 15_000, 30_000, 45_000, 60_000]);
        assert_eq!(step.label_pattern(), "%H:%M:%S");

        let (t, step) = time_ticks(ms("2024-03-05T10:07:00Z"), ms("2024-03-05T16:00:00Z"), 6);
        assert_eq!(step, TimeStep::Hours(1));
        assert_eq!(iso(&t)[0], "2024-03-05T11:00:00Z");
        assert_eq!(t.len(), 6);
        assert_eq!(step.label_pattern(), "%H:%M");

        let (t, step) = time_ticks(ms("2024-03-01T00:00:00Z"), ms("2024-03-29T00:00:00Z"), 4);
        assert_eq!(step, TimeStep::Days(7));
        assert_eq!(
            iso(&t),
            [
                "2024-03-04T00:00:00Z",
                "2024-03-11T00:00:00Z",
                "2024-03-18T00:00:00Z",
                "2024-03-25T00:00:00Z"
            ],
            "Mondays"
        );

        let (t, step) = time_ticks(ms("2024-01-15T00:00:00Z"), ms("2024-06-15T00:00:00Z"), 6);
        assert_eq!(step, TimeStep::Months(1));
        assert_eq!(iso(&t)[0], "2024-02-01T00:00:00Z");
        assert_eq!(t.len(), 5);
        assert_eq!(step.label_pattern(), "%b %Y");

        let (t, step) = time_ticks(ms("2000-06-01T00:00:00Z"), ms("2030-01-01T00:00:00Z"), 4);
        assert_eq!(step, TimeStep::Years(10));
        assert_eq!(
            iso(&t),
            [
                "2010-01-01T00:00:00Z",
                "2020-01-01T00:00:00Z",
                "2030-01-01T00:00:00Z"
            ]
        );
        assert_eq!(step.label_pattern(), "%Y");
    }

    #[test]
    fn day_ticks_align_to_local_midnight() {
        let (lo, hi) = (ms("2024-03-01T00:00:00Z"), ms("2024-03-04T00:00:00Z"));
        let (t, step) = time_ticks_in(lo, hi, 5, 120);
        assert_eq!(step, TimeStep::Days(1));
        assert_eq!(
            iso(&t),
            [
                "2024-03-01T22:00:00Z",
                "2024-03-02T22:00:00Z",
                "2024-03-03T22:00:00Z"
            ]
        );
        assert_eq!(step.label_pattern(), "%b %e");
        let (t, _) = time_ticks_in(lo, hi, 5, -330);
        assert_eq!(iso(&t)[0], "2024-03-01T05:30:00Z");
    }

    #[test]
    fn degenerate_time_ranges_stay_bounded() {
        assert_eq!(time_ticks(1000, 1000, 5).0, [1000]);
        assert_eq!(
            time_ticks(60_000, 0, 6),
            time_ticks(0, 60_000, 6),
            "reversed"
        );
        let (t, step) = time_ticks(i64::MIN, i64::MAX, 5);
        assert!(!t.is_empty() && t.len() <= 5, "{t:?}");
        assert!(matches!(step, TimeStep::Years(_)), "{step:?}");
        assert!(time_ticks(0, 1, 0).0.len() <= 1);
        assert!(time_ticks(0, 86_400_000 * 365, usize::MAX).0.len() <= MAX_TICKS);
    }

    #[test]
    fn tick_labels_carry_the_decimals_the_step_needs() {
        assert_eq!(compact_tick(0.5, 0.25), "0.50");
        assert_eq!(compact_tick(0.75, 0.25), "0.75");
        assert_eq!(compact_tick(0.30000000000000004, 0.1), "0.3");
        assert_eq!(compact_tick(-20.0, 10.0), "-20");
        assert_eq!(compact_tick(-0.0, 1.0), "0");
        assert_eq!(compact_tick(1500.0, 500.0), "1,500");
        assert_eq!(compact_tick(2e6, 1e6), "2M");
        assert_eq!(compact_tick(2.5e6, 5e5), "2.5M");
        assert_eq!(compact_tick(5e5, 5e5), "500k");
        assert_eq!(compact_tick(0.0, 1e6), "0");
        assert_eq!(compact_tick(1.0000001, 1e-7), "1.0000001e0");
        assert_eq!(compact_tick(f64::NAN, 1.0), "—");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn ticks_cover_the_range_within_the_count(
                a in -1e12f64..1e12, b in -1e12f64..1e12, count in 0usize..30
            ) {
                let t = nice_ticks(a, b, count);
                prop_assert!(!t.is_empty() && t.len() <= count.max(1) + 1, "{t:?}");
                prop_assert!(t[0] <= a.min(b) && t[t.len() - 1] >= a.max(b), "{t:?}");
                prop_assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
            }

            #[test]
            fn time_ticks_stay_inside_within_the_count(
                a in any::<i64>(), b in any::<i64>(), count in 0usize..30, offset in -2000i32..2000
            ) {
                let (t, _) = time_ticks_in(a, b, count, offset);
                prop_assert!(t.len() <= count.max(1), "{t:?}");
                prop_assert!(t.windows(2).all(|w| w[0] < w[1]), "{t:?}");
            }
        }
    }
}
