//! Canvas geometry for the editor, kept apart from the browser so it can be tested: the
//! eight resize handles, snapping a moving box to the grid, to other widgets' edges and
//! centres and to the canvas centre (with the guide lines to show), resizing a selection
//! together, aligning and distributing, and the stacking order.

use super::{Rect, Resolution, GRID};

/// How close an edge must come to a line to snap to it, in screen pixels (the editor
/// converts it to design pixels at the current zoom).
pub const SNAP_SCREEN_PX: f64 = 6.0;

/// One of the eight resize handles of a box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handle {
    N,
    Ne,
    E,
    Se,
    S,
    Sw,
    W,
    Nw,
}

impl Handle {
    pub const ALL: [Handle; 8] = [
        Handle::N,
        Handle::Ne,
        Handle::E,
        Handle::Se,
        Handle::S,
        Handle::Sw,
        Handle::W,
        Handle::Nw,
    ];

    /// The short name used in CSS classes and test ids (`n`, `ne`, …).
    pub fn name(self) -> &'static str {
        match self {
            Handle::N => "n",
            Handle::Ne => "ne",
            Handle::E => "e",
            Handle::Se => "se",
            Handle::S => "s",
            Handle::Sw => "sw",
            Handle::W => "w",
            Handle::Nw => "nw",
        }
    }

    /// Which edges the handle moves: −1 the left (top) edge, 1 the right (bottom) one,
    /// 0 neither.
    fn sides(self) -> (i8, i8) {
        match self {
            Handle::N => (0, -1),
            Handle::Ne => (1, -1),
            Handle::E => (1, 0),
            Handle::Se => (1, 1),
            Handle::S => (0, 1),
            Handle::Sw => (-1, 1),
            Handle::W => (-1, 0),
            Handle::Nw => (-1, -1),
        }
    }
}

/// The direction a guide line runs across: `X` is a vertical line at `x = at`, `Y` a
/// horizontal one at `y = at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
}

/// The most guides a box can show: its three points (start, centre, end) on each axis.
pub const MAX_GUIDES: usize = 6;

/// A guide line shown while dragging: where the moving box lines up with another box
/// or with the canvas. `from..to` is its extent along the line, in design pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guide {
    pub axis: Axis,
    pub at: i32,
    pub from: i32,
    pub to: i32,
}

impl Guide {
    /// CSS placing the line as percentages of the canvas.
    pub fn css(&self, canvas: &Resolution) -> String {
        let pct = |v: i32, of: i32| f64::from(v) * 100.0 / f64::from(of);
        match self.axis {
            Axis::X => format!(
                "left:{:.4}%;top:{:.4}%;height:{:.4}%",
                pct(self.at, canvas.width),
                pct(self.from, canvas.height),
                pct(self.to - self.from, canvas.height)
            ),
            Axis::Y => format!(
                "top:{:.4}%;left:{:.4}%;width:{:.4}%",
                pct(self.at, canvas.height),
                pct(self.from, canvas.width),
                pct(self.to - self.from, canvas.width)
            ),
        }
    }
}

/// A line a box may snap to, with the extent of what it belongs to along the line.
#[derive(Debug, Clone, Copy)]
struct Line {
    at: i32,
    from: i32,
    to: i32,
}

/// The start, centre and end of a box along one axis.
fn stops(start: i32, len: i32) -> [i32; 3] {
    [start, start + len / 2, start + len]
}

/// Where a moving box may snap: the edges and centres of the boxes that stay put and
/// the canvas's edges and centre lines; the grid when no line is near.
#[derive(Debug, Clone)]
pub struct Snapper {
    xs: Vec<Line>,
    ys: Vec<Line>,
    canvas: Resolution,
    /// How far (design pixels) an edge is pulled to a line.
    reach: i32,
}

impl Snapper {
    /// Lines of `others` and of the canvas; `reach` in design pixels. With `free` (the
    /// author holds Alt) nothing snaps, not even to the grid.
    pub fn new(others: impl IntoIterator<Item = Rect>, canvas: Resolution, reach: i32) -> Self {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        let whole = Rect {
            x: 0,
            y: 0,
            w: canvas.width,
            h: canvas.height,
        };
        for r in std::iter::once(whole).chain(others) {
            for at in stops(r.x, r.w) {
                xs.push(Line {
                    at,
                    from: r.y,
                    to: r.y + r.h,
                });
            }
            for at in stops(r.y, r.h) {
                ys.push(Line {
                    at,
                    from: r.x,
                    to: r.x + r.w,
                });
            }
        }
        Self {
            xs,
            ys,
            canvas,
            reach: reach.max(0),
        }
    }

    /// `origin` moved by `(dx, dy)`: on each axis its nearest edge or centre within
    /// reach of a line goes onto it, otherwise its top-left corner goes onto the grid
    /// (unless `free`); the box stays on the canvas. Returns the box and the guides of
    /// the lines it now sits on.
    pub fn moved(&self, origin: Rect, dx: i32, dy: i32, free: bool) -> (Rect, Vec<Guide>) {
        let mut r = Rect {
            x: origin.x + dx,
            y: origin.y + dy,
            ..origin
        };
        if !free {
            r.x += self
                .pull(&self.xs, &stops(r.x, r.w))
                .unwrap_or_else(|| to_grid(r.x) - r.x);
            r.y += self
                .pull(&self.ys, &stops(r.y, r.h))
                .unwrap_or_else(|| to_grid(r.y) - r.y);
        }
        r.x = r.x.clamp(0, (self.canvas.width - r.w).max(0));
        r.y = r.y.clamp(0, (self.canvas.height - r.h).max(0));
        let guides = if free {
            Vec::new()
        } else {
            self.guides(r, &stops(r.x, r.w), &stops(r.y, r.h))
        };
        (r, guides)
    }

    /// `origin` resized by dragging `handle` by `(dx, dy)`: the moving edges snap like
    /// a move does, the opposite edges stay, and the box keeps the minimum size and
    /// stays on the canvas.
    pub fn resized(
        &self,
        origin: Rect,
        handle: Handle,
        dx: i32,
        dy: i32,
        free: bool,
    ) -> (Rect, Vec<Guide>) {
        let (sx, sy) = handle.sides();
        let (left, right) = self.edge_pair(
            &self.xs,
            (origin.x, origin.x + origin.w),
            sx,
            dx,
            self.canvas.width,
            free,
        );
        let (top, bottom) = self.edge_pair(
            &self.ys,
            (origin.y, origin.y + origin.h),
            sy,
            dy,
            self.canvas.height,
            free,
        );
        let r = Rect {
            x: left,
            y: top,
            w: right - left,
            h: bottom - top,
        };
        let moving = |side: i8, lo: i32, hi: i32| match side {
            -1 => vec![lo],
            1 => vec![hi],
            _ => Vec::new(),
        };
        let guides = if free {
            Vec::new()
        } else {
            self.guides(r, &moving(sx, left, right), &moving(sy, top, bottom))
        };
        (r, guides)
    }

    /// The two edges of one axis after moving the `side` edge by `d`.
    fn edge_pair(
        &self,
        lines: &[Line],
        (lo, hi): (i32, i32),
        side: i8,
        d: i32,
        limit: i32,
        free: bool,
    ) -> (i32, i32) {
        let snap = |v: i32| {
            if free {
                v
            } else {
                v + self.pull(lines, &[v]).unwrap_or_else(|| to_grid(v) - v)
            }
        };
        match side {
            -1 => (snap(lo + d).clamp(0, hi - Rect::MIN_SIZE), hi),
            1 => (lo, snap(hi + d).clamp(lo + Rect::MIN_SIZE, limit)),
            _ => (lo, hi),
        }
    }

    /// The shift that puts the nearest of `points` onto a line within reach.
    fn pull(&self, lines: &[Line], points: &[i32]) -> Option<i32> {
        points
            .iter()
            .flat_map(|p| lines.iter().map(move |l| l.at - p))
            .filter(|d| d.abs() <= self.reach)
            .min_by_key(|d| d.abs())
    }

    /// Guides for every line one of the box's points sits exactly on, each spanning
    /// the box and what the line belongs to: at most `MAX_GUIDES` (one per point of the
    /// box on each axis).
    fn guides(&self, r: Rect, xs: &[i32], ys: &[i32]) -> Vec<Guide> {
        let mut out: Vec<Guide> = Vec::new();
        let mut add = |axis: Axis, lines: &[Line], points: &[i32], own: (i32, i32)| {
            for p in points {
                for l in lines.iter().filter(|l| l.at == *p) {
                    let (from, to) = (l.from.min(own.0), l.to.max(own.1));
                    match out.iter_mut().find(|g| g.axis == axis && g.at == *p) {
                        Some(g) => {
                            g.from = g.from.min(from);
                            g.to = g.to.max(to);
                        }
                        None => out.push(Guide {
                            axis,
                            at: *p,
                            from,
                            to,
                        }),
                    }
                }
            }
        };
        add(Axis::X, &self.xs, xs, (r.y, r.y + r.h));
        add(Axis::Y, &self.ys, ys, (r.x, r.x + r.w));
        // The canvas's own edges are where every box stops anyway: no guide for them.
        out.retain(|g| match g.axis {
            Axis::X => g.at != 0 && g.at != self.canvas.width,
            Axis::Y => g.at != 0 && g.at != self.canvas.height,
        });
        out
    }
}

fn to_grid(v: i32) -> i32 {
    ((f64::from(v) / f64::from(GRID)).round() as i32) * GRID
}

/// The smallest box holding all of `rects`.
pub fn bounds(rects: impl IntoIterator<Item = Rect>) -> Option<Rect> {
    rects.into_iter().fold(None, |acc, r| {
        Some(match acc {
            None => r,
            Some(b) => {
                let (x, y) = (b.x.min(r.x), b.y.min(r.y));
                let right = (b.x + b.w).max(r.x + r.w);
                let bottom = (b.y + b.h).max(r.y + r.h);
                Rect {
                    x,
                    y,
                    w: right - x,
                    h: bottom - y,
                }
            }
        })
    })
}

/// Each of `members` (which `from` bounds) placed and scaled so that together they
/// fill `to`: resizing a selection resizes every box in it in proportion. Each keeps
/// the minimum size and stays on the canvas.
pub fn scale_group(members: &[Rect], from: Rect, to: Rect, canvas: &Resolution) -> Vec<Rect> {
    let map = |v: i32, start: i32, len: i32, new_start: i32, new_len: i32| {
        let t = f64::from(v - start) / f64::from(len.max(1));
        new_start + (t * f64::from(new_len)).round() as i32
    };
    members
        .iter()
        .map(|m| {
            let x = map(m.x, from.x, from.w, to.x, to.w);
            let right = map(m.x + m.w, from.x, from.w, to.x, to.w);
            let y = map(m.y, from.y, from.h, to.y, to.h);
            let bottom = map(m.y + m.h, from.y, from.h, to.y, to.h);
            Rect {
                x,
                y,
                w: right - x,
                h: bottom - y,
            }
            .keep_inside(canvas)
        })
        .collect()
}

/// How `align` lines boxes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    Top,
    Middle,
    Bottom,
}

impl Align {
    pub const ALL: [Align; 6] = [
        Align::Left,
        Align::Center,
        Align::Right,
        Align::Top,
        Align::Middle,
        Align::Bottom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
            Align::Top => "top",
            Align::Middle => "middle",
            Align::Bottom => "bottom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Align::Left => "Align left edges",
            Align::Center => "Align horizontal centres",
            Align::Right => "Align right edges",
            Align::Top => "Align top edges",
            Align::Middle => "Align vertical centres",
            Align::Bottom => "Align bottom edges",
        }
    }
}

/// `rects` lined up on the edge or centre of their bounds; a single box lines up with
/// the canvas instead.
pub fn align(rects: &[Rect], how: Align, canvas: &Resolution) -> Vec<Rect> {
    let frame = if rects.len() < 2 {
        Rect {
            x: 0,
            y: 0,
            w: canvas.width,
            h: canvas.height,
        }
    } else {
        match bounds(rects.iter().copied()) {
            Some(b) => b,
            None => return Vec::new(),
        }
    };
    rects
        .iter()
        .map(|r| {
            let mut r = *r;
            match how {
                Align::Left => r.x = frame.x,
                Align::Center => r.x = frame.x + (frame.w - r.w) / 2,
                Align::Right => r.x = frame.x + frame.w - r.w,
                Align::Top => r.y = frame.y,
                Align::Middle => r.y = frame.y + (frame.h - r.h) / 2,
                Align::Bottom => r.y = frame.y + frame.h - r.h,
            }
            r.keep_inside(canvas)
        })
        .collect()
}

/// `rects` spaced evenly along `axis` (`X`: left to right) between the first and the
/// last, which stay; the gaps between neighbours become equal. Fewer than three boxes
/// are returned as they are.
pub fn distribute(rects: &[Rect], axis: Axis) -> Vec<Rect> {
    let mut out = rects.to_vec();
    if rects.len() < 3 {
        return out;
    }
    let span = |r: &Rect| match axis {
        Axis::X => (r.x, r.w),
        Axis::Y => (r.y, r.h),
    };
    let mut order: Vec<usize> = (0..rects.len()).collect();
    order.sort_by_key(|&i| span(&rects[i]));
    let (first, _) = span(&rects[order[0]]);
    let end = order
        .iter()
        .map(|&i| span(&rects[i]))
        .map(|(s, l)| s + l)
        .max()
        .unwrap_or(first);
    let lengths: i64 = rects.iter().map(|r| i64::from(span(r).1)).sum();
    let gap = (i64::from(end - first) - lengths) as f64 / (rects.len() - 1) as f64;
    let mut at = f64::from(first);
    for &i in &order {
        let (_, len) = span(&rects[i]);
        let start = at.round() as i32;
        match axis {
            Axis::X => out[i].x = start,
            Axis::Y => out[i].y = start,
        }
        at += f64::from(len) + gap;
    }
    out
}

/// A change of stacking order: what is drawn over what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// One step up, past the next box that is not chosen.
    Forward,
    /// One step down.
    Backward,
    /// Over everything.
    Front,
    /// Under everything.
    Back,
}

/// Moves the `chosen` items of a back-to-front list; the others keep their order.
pub fn restack<T>(items: &mut Vec<T>, chosen: impl Fn(&T) -> bool, how: Stack) {
    let n = items.len();
    match how {
        Stack::Forward => {
            for i in (0..n.saturating_sub(1)).rev() {
                if chosen(&items[i]) && !chosen(&items[i + 1]) {
                    items.swap(i, i + 1);
                }
            }
        }
        Stack::Backward => {
            for i in 1..n {
                if chosen(&items[i]) && !chosen(&items[i - 1]) {
                    items.swap(i - 1, i);
                }
            }
        }
        Stack::Front | Stack::Back => {
            let (picked, rest): (Vec<T>, Vec<T>) = items.drain(..).partition(|t| chosen(t));
            if how == Stack::Front {
                items.extend(rest);
                items.extend(picked);
            } else {
                items.extend(picked);
                items.extend(rest);
            }
        }
    }
}

/// Whether two boxes overlap (touching edges do not).
pub fn intersects(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

#[cfg(test)]
mod tests {
    use super::*;

    const HD: Resolution = Resolution::FULL_HD;

    fn rect(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn a_move_far_from_every_line_lands_on_the_grid() {
        let s = Snapper::new([], HD, 6);
        let (r, guides) = s.moved(rect(100, 100, 200, 100), 33, 47, false);
        assert_eq!((r.x, r.y), (130, 150));
        assert!(guides.is_empty());
    }

    #[test]
    fn a_move_with_alt_held_is_free() {
        let s = Snapper::new([rect(500, 0, 100, 100)], HD, 6);
        let (r, guides) = s.moved(rect(100, 100, 200, 100), 197, 3, true);
        assert_eq!((r.x, r.y), (297, 103));
        assert!(guides.is_empty());
    }

    #[test]
    fn an_edge_near_another_widgets_edge_snaps_to_it_and_shows_a_guide() {
        let other = rect(503, 400, 100, 100);
        let s = Snapper::new([other], HD, 6);
        // The right edge ends at 100 + 200 + 199 = 499: four pixels from 503.
        let (r, guides) = s.moved(rect(100, 100, 200, 100), 199, 0, false);
        assert_eq!(r.x + r.w, 503);
        let g = guides.iter().find(|g| g.axis == Axis::X).expect("a guide");
        assert_eq!(g.at, 503);
        // The guide spans from the moving box's top to the other's bottom.
        assert_eq!((g.from, g.to), (100, 500));
    }

    #[test]
    fn a_box_lined_up_on_every_point_shows_one_guide_per_point() {
        // Boxes above/below share its columns, boxes beside it its rows: every one of
        // its six points (three per axis) is on a line, several times over.
        let others = [
            rect(100, 400, 200, 100),
            rect(100, 700, 200, 100),
            rect(500, 100, 200, 100),
            rect(900, 100, 200, 100),
        ];
        let s = Snapper::new(others, HD, 6);
        let (_, guides) = s.moved(rect(100, 100, 200, 100), 0, 0, false);
        assert_eq!(guides.len(), MAX_GUIDES);
        assert_eq!(guides.iter().filter(|g| g.axis == Axis::X).count(), 3);
    }

    #[test]
    fn centres_snap_to_centres_and_to_the_canvas_centre() {
        let s = Snapper::new([], HD, 6);
        // A 200-wide box whose centre comes to 958: the canvas centre is 960.
        let (r, guides) = s.moved(rect(0, 0, 200, 100), 858, 0, false);
        assert_eq!(r.x + r.w / 2, 960);
        assert!(guides.iter().any(|g| g.axis == Axis::X && g.at == 960));
        let other = rect(1000, 500, 300, 300); // vertical centre 650
        let s = Snapper::new([other], HD, 6);
        let (r, _) = s.moved(rect(0, 0, 100, 100), 0, 597, false);
        assert_eq!(r.y + r.h / 2, 650);
    }

    #[test]
    fn a_moved_box_stays_on_the_canvas() {
        let s = Snapper::new([], HD, 6);
        let (r, _) = s.moved(rect(1800, 1000, 100, 60), 500, 500, false);
        assert_eq!((r.x, r.y), (1820, 1020));
        let (r, _) = s.moved(rect(10, 10, 100, 60), -500, -500, true);
        assert_eq!((r.x, r.y), (0, 0));
    }

    #[test]
    fn each_handle_moves_only_its_own_edges() {
        let s = Snapper::new([], HD, 0);
        let o = rect(400, 400, 200, 200);
        let expect = [
            (Handle::N, rect(400, 430, 200, 170)),
            (Handle::Ne, rect(400, 430, 230, 170)),
            (Handle::E, rect(400, 400, 230, 200)),
            (Handle::Se, rect(400, 400, 230, 230)),
            (Handle::S, rect(400, 400, 200, 230)),
            (Handle::Sw, rect(430, 400, 170, 230)),
            (Handle::W, rect(430, 400, 170, 200)),
            (Handle::Nw, rect(430, 430, 170, 170)),
        ];
        for (handle, want) in expect {
            let (got, _) = s.resized(o, handle, 30, 30, false);
            assert_eq!(got, want, "{handle:?}");
        }
    }

    #[test]
    fn a_resize_keeps_the_minimum_size_and_the_canvas() {
        let s = Snapper::new([], HD, 6);
        let o = rect(400, 400, 200, 200);
        let (r, _) = s.resized(o, Handle::W, 900, 0, false);
        assert_eq!((r.x, r.w), (560, Rect::MIN_SIZE));
        let (r, _) = s.resized(o, Handle::Se, 5000, 5000, false);
        assert_eq!((r.x + r.w, r.y + r.h), (1920, 1080));
        let (r, _) = s.resized(o, Handle::Nw, -5000, -5000, false);
        assert_eq!((r.x, r.y, r.x + r.w, r.y + r.h), (0, 0, 600, 600));
    }

    #[test]
    fn a_resized_edge_snaps_to_another_widgets_edge() {
        let s = Snapper::new([rect(700, 0, 100, 100)], HD, 6);
        let (r, guides) = s.resized(rect(400, 400, 200, 200), Handle::E, 96, 0, false);
        assert_eq!(r.x + r.w, 700);
        assert!(guides.iter().any(|g| g.axis == Axis::X && g.at == 700));
    }

    #[test]
    fn a_group_scales_in_proportion_and_one_box_becomes_the_target() {
        let members = [rect(0, 0, 100, 100), rect(100, 100, 100, 100)];
        let from = bounds(members).unwrap();
        let to = rect(0, 0, 400, 200);
        let scaled = scale_group(&members, from, to, &HD);
        assert_eq!(scaled, vec![rect(0, 0, 200, 100), rect(200, 100, 200, 100)]);
        let one = [rect(10, 10, 50, 50)];
        assert_eq!(
            scale_group(&one, one[0], rect(20, 30, 90, 70), &HD),
            vec![rect(20, 30, 90, 70)]
        );
    }

    #[test]
    fn align_lines_boxes_up_on_their_bounds_or_on_the_canvas() {
        let rects = [rect(100, 100, 100, 50), rect(300, 200, 200, 100)];
        let x = |v: Vec<Rect>| v.iter().map(|r| r.x).collect::<Vec<_>>();
        let y = |v: Vec<Rect>| v.iter().map(|r| r.y).collect::<Vec<_>>();
        assert_eq!(x(align(&rects, Align::Left, &HD)), [100, 100]);
        assert_eq!(x(align(&rects, Align::Right, &HD)), [400, 300]);
        assert_eq!(x(align(&rects, Align::Center, &HD)), [250, 200]);
        assert_eq!(y(align(&rects, Align::Top, &HD)), [100, 100]);
        assert_eq!(y(align(&rects, Align::Bottom, &HD)), [250, 200]);
        assert_eq!(y(align(&rects, Align::Middle, &HD)), [175, 150]);
        // One box: the canvas is the frame.
        let one = align(&rects[..1], Align::Center, &HD);
        assert_eq!(one[0].x, 910);
    }

    #[test]
    fn distribute_makes_the_gaps_equal_and_keeps_the_ends() {
        let rects = [
            rect(0, 0, 100, 10),
            rect(500, 0, 100, 10),
            rect(150, 0, 50, 10),
        ];
        let out = distribute(&rects, Axis::X);
        // Span 0..600, boxes 250 wide: two gaps of 175.
        assert_eq!(out[0].x, 0);
        assert_eq!(out[2].x, 275);
        assert_eq!(out[1].x, 500);
        assert_eq!(distribute(&rects[..2], Axis::X), rects[..2].to_vec());
        let tall = [
            rect(0, 0, 10, 100),
            rect(0, 900, 10, 100),
            rect(0, 10, 10, 100),
        ];
        assert_eq!(distribute(&tall, Axis::Y)[2].y, 450);
    }

    #[test]
    fn restack_moves_the_chosen_and_keeps_the_rest_in_order() {
        let chosen = |c: &char| c.is_uppercase();
        let run = |s: &str, how| {
            let mut v: Vec<char> = s.chars().collect();
            restack(&mut v, chosen, how);
            v.into_iter().collect::<String>()
        };
        assert_eq!(run("aBcD", Stack::Forward), "acBD");
        assert_eq!(run("ABcd", Stack::Forward), "cABd");
        assert_eq!(run("aBcD", Stack::Backward), "BaDc");
        assert_eq!(run("aBcD", Stack::Front), "acBD");
        assert_eq!(run("aBcD", Stack::Back), "BDac");
        assert_eq!(run("", Stack::Forward), "");
    }

    #[test]
    fn intersecting_boxes_overlap_but_touching_ones_do_not() {
        assert!(intersects(rect(0, 0, 10, 10), rect(5, 5, 10, 10)));
        assert!(!intersects(rect(0, 0, 10, 10), rect(10, 0, 10, 10)));
    }
}
