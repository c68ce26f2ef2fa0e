//! A long line drawn as strips: paths written in the chart's own units under one
//! transform, each strip holding a fixed stretch of the x axis. Appending a point
//! rewrites the last strip and the transform; the browser keeps every other path as it
//! parsed it. Drawn in pixels, one path of thousands of points had to be written,
//! parsed and measured again on every point, since every point moves when the axis
//! shifts (docs/benchmarks.md, "Line charts as strips").
//!
//! Points are thinned to buckets of about a pixel column (the first, lowest, highest
//! and last point of each), and buckets sit at fixed places on the x axis, so a
//! bucket's points, and the strip holding it, stay the same while later points arrive.

use super::chart::push_tenths;
use super::scale::Linear;
use std::collections::HashMap;

/// Buckets per strip on a long series.
const STRIP_BUCKETS: i64 = 64;
/// A series of at most this many shown points is one path.
const ONE_STRIP: usize = 1024;
/// How far from its origin a basis may be used, in units: SVG keeps coordinates as
/// 32-bit floats, so a tenth of a unit stays exact below this.
const MAX_UNITS: f64 = 1e5;

/// Strip units: `u = (x - x0) / qx` (a bucket is one unit wide) and
/// `v = (y - y0) / qy`. Kept while the data still fits it, so the strips already drawn
/// stay true and an append moves only the transform.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Basis {
    x0: f64,
    qx: f64,
    y0: f64,
    qy: f64,
    /// Where an area closes, in data values.
    base: f64,
    /// Buckets per strip (`i64::MAX`: the whole series is one strip).
    strip: i64,
}

impl Basis {
    /// The basis for `points` points across x from `xs.0` to `xs.1` drawn over
    /// `columns` pixels, with a value axis from `ys.0` to `ys.1`.
    pub fn fresh(xs: (f64, f64), columns: f64, ys: (f64, f64), points: usize, base: f64) -> Basis {
        let per_column = (xs.1 - xs.0) / columns.max(1.0);
        let qx = if per_column > 0.0 && per_column.is_finite() {
            2f64.powi(per_column.log2().ceil() as i32)
        } else {
            1.0
        };
        let span = ys.1 - ys.0;
        let qy = if span > 0.0 && span.is_finite() {
            span / 1000.0
        } else {
            1.0
        };
        Basis {
            x0: (xs.0 / qx).floor() * qx,
            qx,
            y0: ys.0,
            qy,
            base,
            strip: if points <= ONE_STRIP {
                i64::MAX
            } else {
                STRIP_BUCKETS
            },
        }
    }

    /// Whether strips drawn in `self` can show the data `fresh` was made for: buckets
    /// of half to one time the fresh width, a value axis neither much finer nor much
    /// coarser than the units, and every coordinate within [`MAX_UNITS`].
    fn still_fits(&self, fresh: &Basis, xs: (f64, f64), ys: (f64, f64)) -> bool {
        let near = |v: f64, origin: f64, unit: f64| ((v - origin) / unit).abs() <= MAX_UNITS;
        let y_units = (ys.1 - ys.0) / self.qy;
        self.strip == fresh.strip
            && self.base == fresh.base
            && (self.qx == fresh.qx || self.qx * 2.0 == fresh.qx)
            && (250.0..=4000.0).contains(&y_units)
            && near(xs.0, self.x0, self.qx)
            && near(xs.1, self.x0, self.qx)
            && near(ys.0, self.y0, self.qy)
            && near(ys.1, self.y0, self.qy)
    }

    fn bucket(&self, x: f64) -> i64 {
        (x / self.qx).floor() as i64
    }

    fn strip_of(&self, x: f64) -> i64 {
        if self.strip == i64::MAX {
            0
        } else {
            self.bucket(x).div_euclid(self.strip)
        }
    }

    fn push_point(&self, d: &mut String, (x, y): (f64, f64)) {
        push_tenths(d, (x - self.x0) / self.qx);
        d.push(',');
        push_tenths(d, (y - self.y0) / self.qy);
    }

    /// The SVG transform from units to the pixels of `x` and `y`, less `origin` (the
    /// corner of the box the strips are drawn in).
    pub fn transform(&self, x: &Linear, y: &Linear, origin: (f64, f64)) -> String {
        let a = x.map(self.x0 + self.qx) - x.map(self.x0);
        let e = x.map(self.x0) - origin.0;
        let d = y.map(self.y0 + self.qy) - y.map(self.y0);
        let f = y.map(self.y0) - origin.1;
        if [a, d, e, f].iter().all(|v| v.is_finite()) {
            // SVG reads 32-bit floats: seven digits of the scales are all it keeps.
            let (a, d, e, f) = (short(a, 7), short(d, 7), short(e, 3), short(f, 3));
            format!("matrix({a} 0 0 {d} {e} {f})")
        } else {
            "scale(0)".into()
        }
    }
}

/// `v` with at most `decimals` decimals, without trailing zeros.
fn short(v: f64, decimals: usize) -> String {
    let text = format!("{v:.decimals$}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".into(),
        t => t.into(),
    }
}

/// One point to draw: (index among the shown points, x, y).
pub type Point = (usize, f64, f64);

/// One series' points to draw, in x order, without the points that have no value.
type Points = [Point];

/// One strip as drawn: its line and, on an area chart, the area below it.
#[derive(Debug, Clone, PartialEq)]
pub struct Strip {
    pub line: String,
    pub area: Option<String>,
}

/// Which rows a strip was drawn from (lineage, the point before it, its first and
/// last point, as absolute row indexes): rows of one lineage never change, so the same
/// rows make the same strip.
type Rows = (u64, Option<u64>, u64, u64);

/// The strips drawn last, kept so the next draw writes only those whose rows changed.
#[derive(Debug, Default)]
pub struct Strips {
    basis: Option<Basis>,
    held: HashMap<(usize, i64), (Rows, Strip)>,
}

impl Strips {
    /// The basis to draw in: the one held while it still fits, else `fresh` (and every
    /// strip is drawn anew).
    pub fn basis(&mut self, fresh: Basis, xs: (f64, f64), ys: (f64, f64)) -> Basis {
        match self.basis {
            Some(held) if held.still_fits(&fresh, xs, ys) => held,
            _ => {
                self.basis = Some(fresh);
                self.held.clear();
                fresh
            }
        }
    }

    /// The same units with no strip kept: what drawing everything anew gives.
    #[cfg(test)]
    pub fn units_only(&self) -> Strips {
        Strips {
            basis: self.basis,
            held: HashMap::new(),
        }
    }

    /// The strips of each of `series` (its index and points). `rows` says which rows
    /// the shown points are (lineage, absolute index of the first shown point);
    /// without it nothing is reused. Strips not drawn now are forgotten.
    pub fn draw(
        &mut self,
        basis: &Basis,
        series: &[(usize, Vec<Point>)],
        rows: Option<(u64, u64)>,
        area: bool,
    ) -> Vec<(usize, Vec<Strip>)> {
        let mut held = std::mem::take(&mut self.held);
        let mut out = Vec::with_capacity(series.len());
        for (k, points) in series {
            let mut strips = Vec::new();
            let mut a = 0;
            while a < points.len() {
                let id = basis.strip_of(points[a].1);
                let mut b = a + 1;
                while b < points.len() && basis.strip_of(points[b].1) == id {
                    b += 1;
                }
                let before = a.checked_sub(1).map(|p| points[p]);
                let key = rows.map(|(lineage, first)| {
                    let abs = |i: usize| first + i as u64;
                    (
                        lineage,
                        before.map(|p| abs(p.0)),
                        abs(points[a].0),
                        abs(points[b - 1].0),
                    )
                });
                let strip = match (key, held.remove(&(*k, id))) {
                    (Some(key), Some((was, strip))) if was == key => strip,
                    _ => draw_strip(basis, before, &points[a..b], area),
                };
                if let Some(key) = key {
                    self.held.insert((*k, id), (key, strip.clone()));
                }
                strips.push(strip);
                a = b;
            }
            out.push((*k, strips));
        }
        out
    }
}

/// A strip's path: from the point before it (so strips join), through the first,
/// lowest, highest and last point of each bucket, in order.
fn draw_strip(basis: &Basis, before: Option<Point>, points: &Points, area: bool) -> Strip {
    let mut line = String::with_capacity(points.len().min(4 * STRIP_BUCKETS as usize) * 12);
    let mut first = None;
    let mut last = (0.0, 0.0);
    let mut put = |line: &mut String, p: (f64, f64)| {
        line.push(if first.is_none() { 'M' } else { 'L' });
        basis.push_point(line, p);
        first.get_or_insert(p.0);
        last = p;
    };
    if let Some((_, x, y)) = before {
        put(&mut line, (x, y));
    }
    let mut i = 0;
    while i < points.len() {
        let bucket = basis.bucket(points[i].1);
        let start = i;
        let (mut lo, mut hi) = (i, i);
        while i < points.len() && basis.bucket(points[i].1) == bucket {
            if points[i].2 < points[lo].2 {
                lo = i;
            }
            if points[i].2 > points[hi].2 {
                hi = i;
            }
            i += 1;
        }
        let mut keep = [start, lo, hi, i - 1];
        keep.sort_unstable();
        let mut was = usize::MAX;
        for k in keep {
            if k != was {
                put(&mut line, (points[k].1, points[k].2));
                was = k;
            }
        }
    }
    let area = area.then(|| {
        let mut fill = line.clone();
        let base = (basis.base - basis.y0) / basis.qy;
        fill.push('L');
        push_tenths(&mut fill, (last.0 - basis.x0) / basis.qx);
        fill.push(',');
        push_tenths(&mut fill, base);
        fill.push('L');
        push_tenths(&mut fill, (first.unwrap_or(0.0) - basis.x0) / basis.qx);
        fill.push(',');
        push_tenths(&mut fill, base);
        fill.push('Z');
        fill
    });
    Strip { line, area }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_powers_of_two_and_kept_while_the_data_fits() {
        let fresh = Basis::fresh((1000.0, 11_000.0), 500.0, (0.0, 100.0), 10_000, 0.0);
        assert_eq!(fresh.qx, 32.0, "20 per column rounds up to 32");
        assert_eq!(fresh.x0, 992.0);
        assert_eq!(fresh.qy, 0.1);
        let mut strips = Strips::default();
        assert_eq!(strips.basis(fresh, (1000.0, 11_000.0), (0.0, 100.0)), fresh);
        // A little more data and a slightly wider value axis: the same units.
        let later = Basis::fresh((1000.0, 11_500.0), 500.0, (0.0, 120.0), 10_010, 0.0);
        assert_eq!(strips.basis(later, (1000.0, 11_500.0), (0.0, 120.0)), fresh);
        // Values a hundred times larger: new units.
        let tall = Basis::fresh((1000.0, 11_500.0), 500.0, (0.0, 12_000.0), 10_010, 0.0);
        assert_eq!(
            strips.basis(tall, (1000.0, 11_500.0), (0.0, 12_000.0)),
            tall
        );
        // Far from the origin, where 32-bit coordinates would lose the tenths: new units.
        let far = (
            1000.0 + 32.0 * MAX_UNITS,
            1000.0 + 32.0 * MAX_UNITS + 10_000.0,
        );
        let moved = Basis::fresh(far, 500.0, (0.0, 12_000.0), 10_010, 0.0);
        assert_eq!(strips.basis(moved, far, (0.0, 12_000.0)), moved);
    }

    #[test]
    fn a_strip_starts_at_the_point_before_it_and_keeps_each_buckets_extremes() {
        let basis = Basis::fresh((0.0, 100.0), 100.0, (0.0, 1000.0), 5000, 0.0);
        assert_eq!(basis.qx, 1.0);
        // Bucket 0 holds four points; the extremes and ends are kept, the 5 dropped.
        let points = [
            (0, 0.0, 5.0),
            (1, 0.2, 1.0),
            (2, 0.4, 5.0),
            (3, 0.6, 9.0),
            (4, 0.8, 5.0),
            (5, 64.0, 3.0),
        ];
        let mut strips = Strips::default();
        let drawn = strips.draw(&basis, &[(0, points.to_vec())], None, true);
        let lines: Vec<&str> = drawn[0].1.iter().map(|s| s.line.as_str()).collect();
        assert_eq!(
            lines,
            ["M0.0,5.0L0.2,1.0L0.6,9.0L0.8,5.0", "M0.8,5.0L64.0,3.0"]
        );
        assert_eq!(
            drawn[0].1[1].area.as_deref(),
            Some("M0.8,5.0L64.0,3.0L64.0,0.0L0.8,0.0Z")
        );
    }

    #[test]
    fn thinning_keeps_the_ends_and_extremes_in_order_at_most_four_a_bucket() {
        let points: Vec<(usize, f64, f64)> = (0..10_000)
            .map(|i| (i, i as f64, ((i * 7919) % 1000) as f64))
            .collect();
        let basis = Basis::fresh((0.0, 10_000.0), 100.0, (0.0, 1000.0), points.len(), 0.0);
        assert_eq!((basis.qx, basis.qy), (128.0, 1.0));
        let drawn = Strips::default().draw(&basis, &[(0, points.clone())], None, false);
        let mut shown: Vec<(f64, f64)> = Vec::new();
        for (k, strip) in drawn[0].1.iter().enumerate() {
            let mut coords = strip.line[1..].split('L').map(|p| {
                let (u, v) = p.split_once(',').unwrap();
                (u.parse::<f64>().unwrap(), v.parse::<f64>().unwrap())
            });
            if k > 0 {
                // A strip after the first starts where the one before it ended.
                assert_eq!(coords.next(), shown.last().copied());
            }
            shown.extend(coords);
        }
        let buckets = 10_000usize.div_ceil(128);
        assert!(shown.len() <= 4 * buckets, "{} points", shown.len());
        assert_eq!(shown.first(), Some(&(0.0, 0.0)));
        assert_eq!(
            shown.last(),
            Some(&(78.1, ((9999 * 7919) % 1000) as f64)),
            "9999 / 128 units, in tenths"
        );
        assert!(shown.iter().any(|p| p.1 == 999.0) && shown.iter().any(|p| p.1 == 0.0));
        assert!(shown.windows(2).all(|w| w[0].0 <= w[1].0), "in order");
    }

    #[test]
    fn a_transform_maps_units_to_the_pixels_of_the_scales() {
        let basis = Basis::fresh((0.0, 100.0), 100.0, (0.0, 1000.0), 10, 0.0);
        let x = Linear::new((0.0, 100.0), (10.0, 210.0));
        let y = Linear::new((0.0, 1000.0), (300.0, 100.0));
        assert_eq!(
            basis.transform(&x, &y, (5.0, 0.0)),
            "matrix(2 0 0 -0.2 5 300)"
        );
    }
}
