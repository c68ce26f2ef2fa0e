//! The edits an author makes to a selection, whether from the keyboard, the toolbar or
//! the inspector: each is one step of the history.

use super::{EditorState, Notice};
use crate::model::clipboard::Clip;
use crate::model::layout::{self, Align, Axis, Stack};
use crate::model::{Rect, Widget, WidgetId};
use leptos::prelude::*;

impl EditorState {
    /// Shows a notice above the canvas; one that only informs goes after a while.
    pub(super) fn tell(&self, notice: Notice) {
        let shown = notice.clone();
        let informs = matches!(notice, Notice::Info(_));
        self.notice.set(Some(notice));
        if informs {
            let slot = self.notice;
            set_timeout(
                move || {
                    if slot.with_untracked(|n| n.as_ref() == Some(&shown)) {
                        slot.set(None);
                    }
                },
                std::time::Duration::from_secs(8),
            );
        }
    }

    pub(super) fn is_selected(&self, id: &WidgetId) -> bool {
        self.selected.with(|s| s.contains(id))
    }

    /// Selects `id` alone (unless it already is).
    pub(super) fn select_only(&self, id: WidgetId) {
        if self.selected.with_untracked(|s| s.len() != 1 || s[0] != id) {
            self.selected.set(vec![id]);
        }
    }

    /// Adds `id` to the selection or takes it out (Shift-click).
    pub(super) fn toggle(&self, id: WidgetId) {
        self.selected.update(|s| {
            if let Some(i) = s.iter().position(|x| x == &id) {
                s.remove(i);
            } else {
                s.push(id);
            }
        });
    }

    pub(super) fn clear_selection(&self) {
        if self.selected.with_untracked(|s| !s.is_empty()) {
            self.selected.set(Vec::new());
        }
    }

    pub(super) fn select_all(&self) {
        let all = self
            .dashboard
            .with_untracked(|d| d.widgets.iter().map(|w| w.id.clone()).collect());
        self.selected.set(all);
    }

    /// The selected widgets that are not locked, with their boxes, back to front.
    pub(super) fn movable(&self) -> Vec<(WidgetId, Rect)> {
        self.selected.with_untracked(|s| {
            self.dashboard.with_untracked(|d| {
                d.widgets
                    .iter()
                    .filter(|w| !w.locked && s.contains(&w.id))
                    .map(|w| (w.id.clone(), w.rect))
                    .collect()
            })
        })
    }

    pub(super) fn update_widget(&self, id: &WidgetId, f: impl FnOnce(&mut Widget)) {
        self.dashboard.update(|d| {
            if let Some(w) = d.widget_mut(id) {
                f(w);
            }
        });
    }

    /// Gives each widget in `rects` its new box, in one change.
    pub(super) fn place(&self, rects: &[(WidgetId, Rect)]) {
        self.dashboard.update(|d| {
            for w in d.widgets.iter_mut() {
                if let Some((_, r)) = rects.iter().find(|(id, _)| id == &w.id) {
                    w.rect = *r;
                }
            }
        });
    }

    /// One edit of the unlocked part of the selection: `f` gets their boxes and
    /// returns the new ones.
    fn reshape(&self, f: impl FnOnce(&[Rect]) -> Vec<Rect>) {
        let movable = self.movable();
        if movable.is_empty() {
            return;
        }
        let rects: Vec<Rect> = movable.iter().map(|(_, r)| *r).collect();
        let moved: Vec<(WidgetId, Rect)> = movable
            .into_iter()
            .map(|(id, _)| id)
            .zip(f(&rects))
            .collect();
        self.place(&moved);
        self.seal_history();
    }

    /// Moves the selection by `(dx, dy)` design pixels, keeping it on the canvas.
    pub(super) fn nudge(&self, dx: i32, dy: i32) {
        let canvas = self.dashboard.with_untracked(|d| d.resolution);
        self.reshape(|rects| {
            // The whole selection moves by the same amount: as far as its bounds allow.
            let Some(b) = layout::bounds(rects.iter().copied()) else {
                return Vec::new();
            };
            let fitted = Rect {
                x: b.x + dx,
                y: b.y + dy,
                ..b
            }
            .keep_inside(&canvas);
            let (ddx, ddy) = (fitted.x - b.x, fitted.y - b.y);
            rects
                .iter()
                .map(|r| Rect {
                    x: r.x + ddx,
                    y: r.y + ddy,
                    ..*r
                })
                .collect()
        });
    }

    pub(super) fn align(&self, how: Align) {
        let canvas = self.dashboard.with_untracked(|d| d.resolution);
        self.reshape(|rects| layout::align(rects, how, &canvas));
    }

    pub(super) fn distribute(&self, axis: Axis) {
        self.reshape(|rects| layout::distribute(rects, axis));
    }

    pub(super) fn restack(&self, how: Stack) {
        let chosen = self.selected.get_untracked();
        if chosen.is_empty() {
            return;
        }
        self.dashboard
            .update(|d| layout::restack(&mut d.widgets, |w| chosen.contains(&w.id), how));
        self.seal_history();
    }

    /// Locks the selection, or unlocks it when every selected widget is locked.
    pub(super) fn toggle_lock(&self) {
        let chosen = self.selected.get_untracked();
        let all_locked = self.dashboard.with_untracked(|d| {
            d.widgets
                .iter()
                .filter(|w| chosen.contains(&w.id))
                .all(|w| w.locked)
        });
        self.dashboard.update(|d| {
            for w in d.widgets.iter_mut().filter(|w| chosen.contains(&w.id)) {
                w.locked = !all_locked;
            }
        });
        self.seal_history();
    }

    /// Deletes the unlocked selected widgets; locked ones stay (and are said to).
    pub(super) fn remove_selected(&self) {
        let chosen = self.selected.get_untracked();
        if chosen.is_empty() {
            return;
        }
        let mut kept = 0;
        self.dashboard.update(|d| {
            d.widgets.retain(|w| {
                let keep = !chosen.contains(&w.id) || w.locked;
                kept += usize::from(keep && chosen.contains(&w.id));
                keep
            })
        });
        self.selected.update(|s| {
            let d = self.dashboard.get_untracked();
            s.retain(|id| d.widgets.iter().any(|w| &w.id == id));
        });
        if kept > 0 {
            self.tell(Notice::Info(format!(
                "{kept} locked widget{} kept: unlock to delete",
                if kept == 1 { " was" } else { "s were" }
            )));
        }
        self.seal_history();
    }

    /// The selection as clipboard text (`model::clipboard`).
    pub(super) fn copy_text(&self) -> Option<String> {
        let chosen = self.selected.get_untracked();
        if chosen.is_empty() {
            return None;
        }
        Some(
            self.dashboard
                .with_untracked(|d| Clip::of(d, &chosen))
                .to_json(),
        )
    }

    /// Pastes clipboard text; anything but copied widgets is ignored (`false`).
    pub(super) fn paste_text(&self, text: &str) -> bool {
        let clip = match Clip::parse(text) {
            Ok(Some(clip)) => clip,
            Ok(None) => return false,
            Err(e) => {
                self.tell(Notice::Problem(format!(
                    "These widgets cannot be pasted: {e}"
                )));
                return true;
            }
        };
        self.paste(clip);
        true
    }

    /// Adds copies of the selection beside it (Ctrl+D).
    pub(super) fn duplicate(&self) {
        let chosen = self.selected.get_untracked();
        if chosen.is_empty() {
            return;
        }
        let clip = self.dashboard.with_untracked(|d| Clip::of(d, &chosen));
        self.paste(clip);
    }

    fn paste(&self, clip: Clip) {
        let known = self
            .datasets
            .with_untracked(|ds| ds.iter().map(|d| d.id.clone()).collect::<Vec<_>>());
        let mut next = self.dashboard.get_untracked();
        match clip.paste_into(&mut next, |id| known.contains(id)) {
            Ok(pasted) => {
                self.dashboard.set(next);
                self.selected.set(pasted.ids);
                if pasted.unbound > 0 {
                    self.tell(Notice::Info(format!(
                        "{} pasted widget{} read a dataset this workspace does not have: bind {} again",
                        pasted.unbound,
                        if pasted.unbound == 1 { "" } else { "s" },
                        if pasted.unbound == 1 { "it" } else { "them" },
                    )));
                }
                self.seal_history();
            }
            Err(e) => self.tell(Notice::Problem(format!(
                "These widgets cannot be pasted: {e}"
            ))),
        }
    }
}
