//! The editor's canvas: pointer gestures (place from the palette, move and resize the
//! selection with snapping and guides, marquee selection), the keyboard shortcuts, the
//! clipboard, and zoom. The geometry itself is `model::layout`.

use super::EditorState;
use crate::components::stage_style;
use crate::model::layout::{self, Align, Axis, Guide, Handle, Snapper, Stack, SNAP_SCREEN_PX};
use crate::model::{Rect, Widget, WidgetId, WidgetKind, GRID};
use crate::widgets::WidgetBody;
use leptos::{ev, html, prelude::*};
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;

/// Every keyboard shortcut, as the help panel lists it. The handler in `Canvas`
/// follows this table; the help panel shows it.
pub(super) const SHORTCUTS: &[(&str, &str)] = &[
    ("Ctrl+Z", "Undo"),
    ("Ctrl+Shift+Z or Ctrl+Y", "Redo"),
    ("Click, Shift+click", "Select a widget, add or remove one"),
    (
        "Drag on the empty canvas",
        "Select the widgets the box touches",
    ),
    ("Ctrl+A", "Select every widget"),
    ("Esc", "Select nothing; close this panel"),
    ("Tab", "Go to the next widget (it is selected)"),
    ("Arrows", "Move the selection one grid step (10 px)"),
    ("Alt+arrows", "Move the selection one pixel"),
    (
        "Alt while dragging",
        "Move or resize freely, without snapping",
    ),
    (
        "Delete or Backspace",
        "Delete the selection (locked widgets stay)",
    ),
    ("Ctrl+D", "Duplicate the selection"),
    (
        "Ctrl+C, Ctrl+X, Ctrl+V",
        "Copy, cut, paste (also between tabs and dashboards)",
    ),
    ("Ctrl+]  /  Ctrl+[", "Bring forward / send backward"),
    (
        "Ctrl+Shift+]  /  Ctrl+Shift+[",
        "Bring to front / send to back",
    ),
    ("Ctrl+Shift+L", "Lock or unlock the selection"),
    (
        "Alt+A, Alt+H, Alt+D",
        "Align left edges, horizontal centres, right edges",
    ),
    (
        "Alt+W, Alt+V, Alt+S",
        "Align top edges, vertical centres, bottom edges",
    ),
    (
        "Alt+Shift+H, Alt+Shift+V",
        "Distribute horizontally, vertically",
    ),
    ("Ctrl+=  /  Ctrl+-", "Zoom in / out"),
    (
        "Shift+1  /  Shift+0",
        "Zoom to fit / to the design size (100 %)",
    ),
    ("?", "Show or hide these shortcuts"),
];

/// How large the canvas is drawn: fitted to the window, or a scale of its design
/// resolution (1.0 is one screen pixel per design pixel).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Zoom {
    Fit,
    Scale(f64),
}

const ZOOM_STEPS: [f64; 10] = [0.1, 0.25, 0.33, 0.5, 0.67, 0.75, 1.0, 1.25, 1.5, 2.0];

/// One zoom step in (`dir > 0`) or out from the scale the canvas is drawn at now.
pub(super) fn zoom_by(state: EditorState, dir: i32) {
    let now = match state.zoom.get_untracked() {
        Zoom::Scale(z) => z,
        Zoom::Fit => state
            .pointer
            .geometry(&state)
            .map_or(1.0, |g| 1.0 / g.scale),
    };
    let next = if dir > 0 {
        ZOOM_STEPS.iter().copied().find(|z| *z > now + 0.001)
    } else {
        ZOOM_STEPS.iter().rev().copied().find(|z| *z < now - 0.001)
    };
    if let Some(z) = next {
        state.zoom.set(Zoom::Scale(z));
    }
}

/// A pointer gesture in progress.
#[derive(Debug, Clone)]
enum Gesture {
    /// A palette item is being dragged towards the canvas.
    Place(WidgetKind),
    /// The selection is being moved: `frame` bounds `origins` as they were at `start`.
    /// `clicked` is the widget pressed when it was already part of a larger selection:
    /// released without moving, it becomes the whole selection.
    Move {
        clicked: Option<WidgetId>,
        start: (f64, f64),
        origins: Vec<(WidgetId, Rect)>,
        frame: Rect,
        snapper: Snapper,
    },
    /// The selection is being resized by one of its frame's handles.
    Resize {
        handle: Handle,
        start: (f64, f64),
        origins: Vec<(WidgetId, Rect)>,
        frame: Rect,
        snapper: Snapper,
    },
    /// A selection box is being drawn from `start` (design pixels); `base` stays
    /// selected (Shift held).
    Marquee {
        start: (f64, f64),
        base: Vec<WidgetId>,
    },
}

/// Where the canvas is on screen and how many design pixels one screen pixel is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geometry {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
    scale: f64,
}

impl Geometry {
    fn design(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.left) * self.scale, (y - self.top) * self.scale)
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.left
            && y >= self.top
            && x <= self.left + self.width
            && y <= self.top + self.height
    }
}

/// The gesture in progress and what it draws over the canvas.
#[derive(Clone, Copy)]
pub(super) struct Pointer {
    gesture: StoredValue<Option<Gesture>>,
    /// Where a palette item being placed is, on screen.
    ghost: RwSignal<Option<(f64, f64)>>,
    guides: RwSignal<Vec<Guide>>,
    marquee: RwSignal<Option<Rect>>,
    canvas: NodeRef<html::Div>,
    /// A move, resize or marquee is in progress: a shield over the page takes the
    /// pointer (no hit testing of the whole canvas on every move).
    moving: RwSignal<bool>,
    /// Where the canvas was when the gesture began (it does not move during one), so a
    /// move does not read the layout back after the last one changed it.
    fixed: StoredValue<Option<Geometry>>,
    /// How far (design pixels) the selection being moved is shown moved: during a move
    /// the widgets are only translated on screen (no layout, no dashboard change per
    /// mouse move); the rectangles are written once, when the button is released.
    shift: StoredValue<Option<(i32, i32)>>,
    /// The elements a move translates (the moved widgets and the selection frame),
    /// looked up once per gesture rather than on every mouse move. (Sync storage of
    /// wrapped elements: the canvas is also made on the server, on whichever thread,
    /// where the list stays empty.)
    shown: StoredValue<Vec<SendWrapper<web_sys::HtmlElement>>>,
}

impl Pointer {
    pub(super) fn new() -> Self {
        Self {
            gesture: StoredValue::new(None),
            ghost: RwSignal::new(None),
            guides: RwSignal::new(Vec::new()),
            marquee: RwSignal::new(None),
            canvas: NodeRef::new(),
            moving: RwSignal::new(false),
            fixed: StoredValue::new(None),
            shift: StoredValue::new(None),
            shown: StoredValue::new(Vec::new()),
        }
    }

    /// Shows the widgets `ids` and the selection frame translated by `transform` (a CSS
    /// transform), straight on the elements. While they move they are `lifted` (see
    /// main.css): each on a layer of its own, so a mouse move repaints nothing, and
    /// above the other widgets, so those need no layers of their own.
    fn translate(&self, ids: &[(WidgetId, Rect)], transform: &str) {
        if self.shown.with_value(Vec::is_empty) {
            let found = self.elements(ids);
            for el in &found {
                let _ = el.class_list().add_1("lifted");
            }
            self.shown
                .set_value(found.into_iter().map(SendWrapper::new).collect());
        }
        self.shown.with_value(|shown| {
            for el in shown {
                let _ = el.style().set_property("transform", transform);
            }
        });
    }

    /// Puts the elements a move translated back in place.
    fn untranslate(&self) {
        for el in self
            .shown
            .try_update_value(std::mem::take)
            .unwrap_or_default()
        {
            let _ = el.style().remove_property("transform");
            let _ = el.class_list().remove_1("lifted");
        }
    }

    /// The elements of the widgets `ids` and of the selection frame.
    fn elements(&self, ids: &[(WidgetId, Rect)]) -> Vec<web_sys::HtmlElement> {
        let Some(canvas) = self.canvas.get_untracked() else {
            return Vec::new();
        };
        let find = |selector: &str| {
            canvas
                .query_selector(selector)
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        };
        ids.iter()
            .map(|(id, _)| format!("[data-widget=\"{id}\"]"))
            .chain(["[data-testid=selection-frame]".to_owned()])
            .filter_map(|selector| find(&selector))
            .collect()
    }

    /// Marks the start of a move, resize or marquee on a canvas at `g`.
    fn began(&self, g: Geometry) {
        self.fixed.set_value(Some(g));
        self.moving.set(true);
    }

    pub(super) fn geometry(&self, state: &EditorState) -> Option<Geometry> {
        let el = self.canvas.get_untracked()?;
        let r = el.get_bounding_client_rect();
        if r.width() <= 0.0 {
            return None;
        }
        let width = f64::from(state.dashboard.with_untracked(|d| d.resolution.width));
        Some(Geometry {
            left: r.left(),
            top: r.top(),
            width: r.width(),
            height: r.height(),
            scale: width / r.width(),
        })
    }

    /// A gesture is in progress (saving waits for its end).
    pub(super) fn busy(&self) -> bool {
        self.gesture.with_value(Option::is_some)
    }

    pub(super) fn start_place(&self, ev: ev::PointerEvent, kind: WidgetKind) {
        ev.prevent_default();
        self.gesture.set_value(Some(Gesture::Place(kind)));
        self.ghost
            .set(Some((f64::from(ev.client_x()), f64::from(ev.client_y()))));
    }

    /// The snapping lines for moving the selection: every widget outside it.
    fn snapper(&self, state: &EditorState, moving: &[(WidgetId, Rect)], g: &Geometry) -> Snapper {
        state.dashboard.with_untracked(|d| {
            let others = d
                .widgets
                .iter()
                .filter(|w| !moving.iter().any(|(id, _)| id == &w.id))
                .map(|w| w.rect);
            Snapper::new(
                others,
                d.resolution,
                (SNAP_SCREEN_PX * g.scale).round() as i32,
            )
        })
    }

    /// Starts moving (`handle: None`) or resizing the unlocked part of the selection.
    fn start_edit(
        &self,
        state: &EditorState,
        ev: &ev::PointerEvent,
        handle: Option<Handle>,
        clicked: Option<WidgetId>,
    ) {
        let origins = state.movable();
        let (Some(frame), Some(g)) = (
            layout::bounds(origins.iter().map(|(_, r)| *r)),
            self.geometry(state),
        ) else {
            return;
        };
        let snapper = self.snapper(state, &origins, &g);
        let start = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        self.began(g);
        self.gesture.set_value(Some(match handle {
            None => Gesture::Move {
                clicked,
                start,
                origins,
                frame,
                snapper,
            },
            Some(handle) => Gesture::Resize {
                handle,
                start,
                origins,
                frame,
                snapper,
            },
        }));
    }

    fn start_marquee(&self, state: &EditorState, ev: &ev::PointerEvent) {
        let Some(g) = self.geometry(state) else {
            return;
        };
        let base = if ev.shift_key() {
            state.selected.get_untracked()
        } else {
            state.clear_selection();
            Vec::new()
        };
        let start = g.design(f64::from(ev.client_x()), f64::from(ev.client_y()));
        self.began(g);
        self.gesture
            .set_value(Some(Gesture::Marquee { start, base }));
    }

    fn on_move(&self, state: &EditorState, ev: &ev::PointerEvent) {
        if !self.busy() {
            return;
        }
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let free = ev.alt_key();
        let Some(g) = self.fixed.get_value().or_else(|| self.geometry(state)) else {
            return;
        };
        let delta = |start: (f64, f64)| {
            (
                ((x - start.0) * g.scale).round() as i32,
                ((y - start.1) * g.scale).round() as i32,
            )
        };
        self.gesture.with_value(|gesture| match gesture {
            None => {}
            Some(Gesture::Place(_)) => self.ghost.set(Some((x, y))),
            Some(Gesture::Move {
                start,
                origins,
                frame,
                snapper,
                ..
            }) => {
                let (dx, dy) = delta(*start);
                let (to, guides) = snapper.moved(*frame, dx, dy, free);
                let shift = (to.x - frame.x, to.y - frame.y);
                if self.shift.get_value().unwrap_or((0, 0)) != shift {
                    self.shift.set_value(Some(shift));
                    self.translate(
                        origins,
                        &format!(
                            "translate({:.2}px, {:.2}px)",
                            f64::from(shift.0) / g.scale,
                            f64::from(shift.1) / g.scale
                        ),
                    );
                }
                if self.guides.with_untracked(|g| g != &guides) {
                    self.guides.set(guides);
                }
            }
            Some(Gesture::Resize {
                handle,
                start,
                origins,
                frame,
                snapper,
            }) => {
                let (dx, dy) = delta(*start);
                let (to, guides) = snapper.resized(*frame, *handle, dx, dy, free);
                let canvas = state.dashboard.with_untracked(|d| d.resolution);
                let members: Vec<Rect> = origins.iter().map(|(_, r)| *r).collect();
                let rects: Vec<(WidgetId, Rect)> = origins
                    .iter()
                    .map(|(id, _)| id.clone())
                    .zip(layout::scale_group(&members, *frame, to, &canvas))
                    .collect();
                self.apply(state, &rects, guides);
            }
            Some(Gesture::Marquee { start, base }) => {
                let (cx, cy) = g.design(x, y);
                let (w, h) = state.dashboard.with_untracked(|d| {
                    (
                        f64::from(d.resolution.width),
                        f64::from(d.resolution.height),
                    )
                });
                let clamp = |v: f64, max: f64| v.clamp(0.0, max).round() as i32;
                let (x0, x1) = (clamp(start.0.min(cx), w), clamp(start.0.max(cx), w));
                let (y0, y1) = (clamp(start.1.min(cy), h), clamp(start.1.max(cy), h));
                let boxed = Rect {
                    x: x0,
                    y: y0,
                    w: x1 - x0,
                    h: y1 - y0,
                };
                self.marquee.set(Some(boxed));
                let mut chosen = base.clone();
                state.dashboard.with_untracked(|d| {
                    for w in d.widgets.iter().filter(|w| !w.locked) {
                        if layout::intersects(w.rect, boxed) && !chosen.contains(&w.id) {
                            chosen.push(w.id.clone());
                        }
                    }
                });
                if state.selected.with_untracked(|s| s != &chosen) {
                    state.selected.set(chosen);
                }
            }
        });
    }

    /// Gives the widgets their new boxes (when any changed) and shows the guides.
    fn apply(&self, state: &EditorState, rects: &[(WidgetId, Rect)], guides: Vec<Guide>) {
        let changed = state.dashboard.with_untracked(|d| {
            rects.iter().any(|(id, r)| {
                d.widgets
                    .iter()
                    .find(|w| &w.id == id)
                    .is_some_and(|w| &w.rect != r)
            })
        });
        if changed {
            state.place(rects);
        }
        if self.guides.with_untracked(|g| g != &guides) {
            self.guides.set(guides);
        }
    }

    fn on_up(&self, state: &EditorState, ev: &ev::PointerEvent) {
        let Some(gesture) = self.gesture.try_update_value(Option::take).flatten() else {
            return;
        };
        self.ghost.set(None);
        self.guides.set(Vec::new());
        self.marquee.set(None);
        self.fixed.set_value(None);
        self.moving.set(false);
        // A move is written now, once, and the elements put back where it says.
        if let (Some((ddx, ddy)), Gesture::Move { origins, .. }) = (
            self.shift.try_update_value(Option::take).flatten(),
            &gesture,
        ) {
            let rects: Vec<(WidgetId, Rect)> = origins
                .iter()
                .map(|(id, r)| {
                    let moved = Rect {
                        x: r.x + ddx,
                        y: r.y + ddy,
                        ..*r
                    };
                    (id.clone(), moved)
                })
                .collect();
            self.apply(state, &rects, Vec::new());
            self.untranslate();
        }
        // One drag, resize or placement is one step of the history.
        state.seal_history();
        let kind = match gesture {
            Gesture::Place(kind) => kind,
            Gesture::Move {
                clicked: Some(id),
                origins,
                ..
            } => {
                let still = state.dashboard.with_untracked(|d| {
                    origins
                        .iter()
                        .all(|(id, r)| d.widgets.iter().any(|w| &w.id == id && &w.rect == r))
                });
                if still {
                    state.select_only(id);
                }
                return;
            }
            _ => return,
        };
        let Some(g) = self.geometry(state) else {
            return;
        };
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        if !g.contains(x, y) {
            return;
        }
        let (w, h) = kind.default_size();
        let (cx, cy) = g.design(x, y);
        let mut placed = None;
        state.dashboard.update(|d| {
            let rect = Rect {
                x: cx.round() as i32 - w / 2,
                y: cy.round() as i32 - h / 2,
                w,
                h,
            }
            .fit(&d.resolution);
            let id = d.next_widget_id();
            d.widgets.push(Widget::new(id.clone(), rect, kind));
            placed = Some(id);
        });
        if let Some(id) = placed {
            state.select_only(id);
        }
    }
}

/// Whether a key event belongs to a text field (its keys are the field's own).
fn typing(target: Option<web_sys::EventTarget>) -> bool {
    target
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
}

/// The keyboard shortcuts (`SHORTCUTS`). Returns whether the key was used.
fn on_key(state: EditorState, ev: &ev::KeyboardEvent) -> bool {
    let key = ev.key();
    let code = ev.code();
    let ctrl = ev.ctrl_key() || ev.meta_key();
    let (shift, alt) = (ev.shift_key(), ev.alt_key());
    if ctrl {
        match (key.to_lowercase().as_str(), code.as_str()) {
            ("z", _) => state.travel(shift),
            ("y", _) => state.travel(true),
            ("a", _) => state.select_all(),
            ("d", _) => state.duplicate(),
            ("l", _) if shift => state.toggle_lock(),
            (_, "BracketRight") => state.restack(if shift { Stack::Front } else { Stack::Forward }),
            (_, "BracketLeft") => state.restack(if shift { Stack::Back } else { Stack::Backward }),
            ("=" | "+", _) => zoom_by(state, 1),
            ("-", _) => zoom_by(state, -1),
            _ => return false,
        }
        return true;
    }
    if alt {
        let align = match code.as_str() {
            "KeyA" => Some(Align::Left),
            "KeyH" if !shift => Some(Align::Center),
            "KeyD" => Some(Align::Right),
            "KeyW" => Some(Align::Top),
            "KeyV" if !shift => Some(Align::Middle),
            "KeyS" => Some(Align::Bottom),
            _ => None,
        };
        if let Some(how) = align {
            state.align(how);
            return true;
        }
        match code.as_str() {
            "KeyH" => state.distribute(Axis::X),
            "KeyV" => state.distribute(Axis::Y),
            _ => {}
        }
        if matches!(code.as_str(), "KeyH" | "KeyV") {
            return true;
        }
    }
    let step = if alt { 1 } else { GRID };
    match key.as_str() {
        "?" => {
            state.versions.set(None);
            state.help.update(|h| *h = !*h);
        }
        "Escape" => {
            state.help.set(false);
            state.clear_selection();
        }
        "Delete" | "Backspace" => state.remove_selected(),
        "ArrowLeft" => state.nudge(-step, 0),
        "ArrowRight" => state.nudge(step, 0),
        "ArrowUp" => state.nudge(0, -step),
        "ArrowDown" => state.nudge(0, step),
        _ => match (shift, code.as_str()) {
            (true, "Digit1") => state.zoom.set(Zoom::Fit),
            (true, "Digit0") => state.zoom.set(Zoom::Scale(1.0)),
            _ => return false,
        },
    }
    true
}

#[component]
pub(super) fn Canvas(state: EditorState) -> impl IntoView {
    let pointer = state.pointer;
    let on_move = window_event_listener(ev::pointermove, move |ev| pointer.on_move(&state, &ev));
    let on_up = window_event_listener(ev::pointerup, move |ev| pointer.on_up(&state, &ev));
    let on_key = window_event_listener(ev::keydown, move |ev| {
        if !typing(ev.target()) && on_key(state, &ev) {
            ev.prevent_default();
        }
    });
    // The clipboard: copied widgets travel as JSON text (`model::clipboard`), so they
    // paste into another dashboard or another tab.
    let copy = move |ev: &web_sys::ClipboardEvent, cut: bool| {
        if typing(ev.target()) {
            return;
        }
        let (Some(text), Some(data)) = (state.copy_text(), ev.clipboard_data()) else {
            return;
        };
        if data.set_data("text/plain", &text).is_ok() {
            ev.prevent_default();
            if cut {
                state.remove_selected();
            }
        }
    };
    let on_copy = window_event_listener(ev::copy, move |ev| copy(&ev, false));
    let on_cut = window_event_listener(ev::cut, move |ev| copy(&ev, true));
    let on_paste = window_event_listener(ev::paste, move |ev| {
        if typing(ev.target()) {
            return;
        }
        let text = ev
            .clipboard_data()
            .and_then(|d| d.get_data("text/plain").ok())
            .unwrap_or_default();
        if state.paste_text(&text) {
            ev.prevent_default();
        }
    });
    on_cleanup(move || {
        for handle in [on_move, on_up, on_key, on_copy, on_cut, on_paste] {
            handle.remove();
        }
    });

    // Memos, so that a drag (which changes only rectangles) does not rewrite the stage's
    // style or class, nor walk the widget list, on every move: only what moved changes.
    let widget_ids = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().map(|w| w.id.clone()).collect::<Vec<_>>())
    });
    let resolution = Memo::new(move |_| state.dashboard.with(|d| d.resolution));
    let stage_base = Memo::new(move |_| state.dashboard.with(stage_style));
    let theme_class = Memo::new(move |_| state.dashboard.with(|d| d.theme.css_class()));
    let stage_css = move || {
        let base = stage_base.get();
        match state.zoom.get() {
            Zoom::Fit => base,
            Zoom::Scale(z) => format!(
                "{base};width:{:.0}px",
                f64::from(resolution.get().width) * z
            ),
        }
    };
    // The frame around the unlocked part of the selection, with its eight handles.
    let frame = Memo::new(move |_| {
        state.selected.with(|s| {
            state.dashboard.with(|d| {
                layout::bounds(
                    d.widgets
                        .iter()
                        .filter(|w| !w.locked && s.contains(&w.id))
                        .map(|w| w.rect),
                )
            })
        })
    });
    let frame_css = move || match frame.get() {
        Some(b) => b.css(&resolution.get()),
        None => "display:none".to_string(),
    };
    let handles = Handle::ALL
        .into_iter()
        .map(|handle| {
            let name = handle.name();
            view! {
                <div
                    class=format!("handle handle-{name}")
                    data-testid=format!("handle-{name}")
                    on:pointerdown=move |ev| {
                        ev.prevent_default();
                        ev.stop_propagation();
                        pointer.start_edit(&state, &ev, Some(handle), None);
                    }
                ></div>
            }
        })
        .collect_view();

    // The guides drawn during a drag: a fixed set of elements given their places (a
    // drag changes its guides on most moves; making and dropping elements for each
    // change would cost a style and layout pass every time).
    let guide_slots = (0..layout::MAX_GUIDES)
        .map(|slot| {
            let guide = Memo::new(move |_| pointer.guides.with(|g| g.get(slot).copied()));
            view! {
                <div
                    class=move || match guide.get().map(|g| g.axis) {
                        Some(Axis::X) => "guide guide-x",
                        Some(Axis::Y) => "guide guide-y",
                        None => "guide",
                    }
                    data-testid=move || guide.get().map(|_| "guide")
                    style=move || match guide.get() {
                        Some(g) => g.css(&resolution.get()),
                        None => "display:none".to_owned(),
                    }
                ></div>
            }
        })
        .collect_view();

    view! {
        <section
            class="canvas-area"
            class:gesturing=move || pointer.moving.get()
            on:pointerdown=move |ev| {
                if ev.button() != 0 {
                    return;
                }
                ev.prevent_default();
                blur_active();
                pointer.start_marquee(&state, &ev);
            }
        >
            // Over everything while a move, resize or marquee runs: each mouse move is
            // hit-tested against this one box, not the stage's hundreds. A press on it
            // means the release was missed (outside the window): the gesture ends.
            <div
                class="gesture-shield"
                aria-hidden="true"
                on:pointerdown=move |ev| {
                    ev.stop_propagation();
                    pointer.on_up(&state, &ev);
                }
            ></div>
            <div
                class=move || format!("stage editor-stage {}", theme_class.get())
                style=stage_css
                node_ref=pointer.canvas
                data-testid="canvas"
                role="listbox"
                aria-multiselectable="true"
                aria-label="Canvas: Tab to a widget, arrows to move it, ? for every shortcut"
            >
                <For each=move || widget_ids.get() key=|id| id.clone() let:wid>
                    <EditorWidget state wid resolution />
                </For>
                <div class="selection-frame" data-testid="selection-frame" style=frame_css>
                    {handles}
                </div>
                {guide_slots}
                {move || {
                    pointer
                        .marquee
                        .get()
                        .map(|r| view! { <div class="marquee" data-testid="marquee" style=r.css(&resolution.get())></div> })
                }}
            </div>
        </section>
        {move || {
            pointer
                .ghost
                .get()
                .map(|(x, y)| {
                    let label = pointer
                        .gesture
                        .with_value(|g| match g {
                            Some(Gesture::Place(kind)) => kind.label(),
                            _ => "",
                        });
                    view! {
                        <div class="ghost" style=format!("left:{x}px;top:{y}px")>
                            {label}
                        </div>
                    }
                })
        }}
    }
}

/// Takes the focus from a field of the inspector, so keys go to the canvas.
fn blur_active() {
    let active = document()
        .active_element()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = active {
        let _ = el.blur();
    }
}

#[component]
fn EditorWidget(
    state: EditorState,
    wid: WidgetId,
    resolution: Memo<crate::model::Resolution>,
) -> impl IntoView {
    let id = StoredValue::new(wid);
    let widget = Memo::new(move |_| {
        state
            .dashboard
            .with(|d| d.widgets.iter().find(|w| w.id == id.get_value()).cloned())
    });
    let body = Signal::derive(move || {
        widget.get().unwrap_or_else(|| {
            let rect = Rect {
                x: 0,
                y: 0,
                w: 40,
                h: 40,
            };
            Widget::new(id.get_value(), rect, WidgetKind::Kpi(Default::default()))
        })
    });
    let rect = Memo::new(move |_| widget.with(|w| w.as_ref().map(|w| w.rect)));
    let style = move || {
        let res = resolution.get();
        rect.get().map(|r| r.css(&res)).unwrap_or_default()
    };
    let selected = move || state.is_selected(&id.get_value());
    let locked = move || widget.with(|w| w.as_ref().is_some_and(|w| w.locked));
    let label = move || {
        widget
            .with(|w| {
                w.as_ref().map(|w| {
                    let title = if w.look.title.is_empty() {
                        String::new()
                    } else {
                        format!(" “{}”", w.look.title)
                    };
                    let lock = if w.locked { ", locked" } else { "" };
                    format!(
                        "{} {}{title} at x {}, y {}, {} × {}{lock}",
                        w.kind.label(),
                        w.id,
                        w.rect.x,
                        w.rect.y,
                        w.rect.w,
                        w.rect.h
                    )
                })
            })
            .unwrap_or_default()
    };
    // Fields the binding reads that its dataset no longer has (changed since): said on
    // the widget, which otherwise shows what it can.
    let missing_fields = move || -> Vec<String> {
        let Some(binding) = widget.with(|w| w.as_ref().and_then(|w| w.binding.clone())) else {
            return Vec::new();
        };
        state.datasets.with(|all| {
            let Some(dataset) = all.iter().find(|d| d.id == binding.dataset) else {
                return Vec::new();
            };
            if dataset.fields.is_empty() {
                return Vec::new();
            }
            binding
                .used_fields()
                .into_iter()
                .filter(|f| !dataset.fields.iter().any(|d| &d.name == f))
                .map(|f| format!("\u{201c}{f}\u{201d}"))
                .collect()
        })
    };
    let el = NodeRef::<html::Div>::new();
    let pointer = state.pointer;
    let begin = move |ev: ev::PointerEvent| {
        if ev.button() != 0 {
            return;
        }
        ev.prevent_default();
        ev.stop_propagation();
        let wid = id.get_value();
        let was_selected = state.selected.with_untracked(|s| s.contains(&wid));
        let mut clicked = None;
        if ev.shift_key() {
            state.toggle(wid.clone());
            if was_selected {
                return;
            }
        } else if was_selected {
            clicked = Some(wid);
        } else {
            state.select_only(wid);
        }
        if let Some(el) = el.get_untracked() {
            let _ = el.focus();
        }
        pointer.start_edit(&state, &ev, None, clicked);
    };
    view! {
        <div
            class=move || {
                let mut class = String::from("widget editing");
                if selected() {
                    class.push_str(" selected");
                }
                if locked() {
                    class.push_str(" locked");
                }
                class
            }
            style=style
            data-widget=move || id.get_value().to_string()
            node_ref=el
            tabindex="0"
            role="option"
            aria-selected=move || selected().to_string()
            aria-label=label
            on:pointerdown=begin
            on:focus=move |_| {
                if !state.selected.with_untracked(|s| s.contains(&id.get_value())) {
                    state.select_only(id.get_value());
                }
            }
        >
            <WidgetBody widget=body frames=state.frames />
            {move || locked().then(|| view! { <span class="lock-badge" title="Locked" aria-hidden="true">"🔒"</span> })}
            {move || {
                let gone = missing_fields();
                (!gone.is_empty()).then(|| {
                    let text = format!("No field {} in the dataset", gone.join(", "));
                    view! { <span class="field-missing" data-testid="field-missing" role="status">{text}</span> }
                })
            }}
        </div>
    }
}
