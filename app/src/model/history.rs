//! The editor's undo history: snapshots of the document before each step. Changes that
//! follow each other closely (every pointer move of one drag, every key of one title)
//! make one step; a pause of `COALESCE_MS` or an explicit `seal` (the end of a gesture)
//! starts the next. Undo returns the snapshot before the last step and keeps the
//! current document for redo; a new change after an undo drops what could be redone.

use std::collections::VecDeque;

/// Steps kept; the oldest are dropped past it.
pub const MAX_STEPS: usize = 500;
/// Changes closer than this (milliseconds) belong to one step.
pub const COALESCE_MS: i64 = 600;

#[derive(Debug, Clone)]
pub struct History<T> {
    past: VecDeque<T>,
    future: Vec<T>,
    /// When the open step last changed; `None` when no step is open.
    open_since: Option<i64>,
}

impl<T> Default for History<T> {
    fn default() -> Self {
        Self {
            past: VecDeque::new(),
            future: Vec::new(),
            open_since: None,
        }
    }
}

impl<T: Clone + PartialEq> History<T> {
    /// Notes that the document changed at `at_ms`; `before` is what it was just before.
    pub fn record(&mut self, before: T, at_ms: i64) {
        let continues = self
            .open_since
            .is_some_and(|last| at_ms - last < COALESCE_MS && at_ms >= last);
        self.open_since = Some(at_ms);
        if continues {
            return;
        }
        self.future.clear();
        if self.past.back() == Some(&before) {
            return;
        }
        self.past.push_back(before);
        if self.past.len() > MAX_STEPS {
            self.past.pop_front();
        }
    }

    /// Ends the open step: the next change starts a new one (a gesture ended).
    pub fn seal(&mut self) {
        self.open_since = None;
    }

    /// The document before the last step, given the `current` one (kept for redo).
    pub fn undo(&mut self, current: T) -> Option<T> {
        let before = self.past.pop_back()?;
        self.future.push(current);
        self.open_since = None;
        Some(before)
    }

    /// The document the last undo went back from, given the `current` one.
    pub fn redo(&mut self, current: T) -> Option<T> {
        let after = self.future.pop()?;
        self.past.push_back(current);
        self.open_since = None;
        Some(after)
    }

    pub fn can_undo(&self) -> bool {
        !self.past.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.future.is_empty()
    }

    /// Steps that can be undone.
    pub fn len(&self) -> usize {
        self.past.len()
    }

    pub fn is_empty(&self) -> bool {
        self.past.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies `to` at `at`, recording what it replaced.
    fn change(h: &mut History<i32>, doc: &mut i32, to: i32, at: i64) {
        h.record(*doc, at);
        *doc = to;
    }

    #[test]
    fn undo_and_redo_walk_the_steps_both_ways() {
        let (mut h, mut doc) = (History::default(), 0);
        change(&mut h, &mut doc, 1, 0);
        change(&mut h, &mut doc, 2, 1_000);
        change(&mut h, &mut doc, 3, 2_000);
        assert_eq!(h.len(), 3);
        doc = h.undo(doc).unwrap();
        assert_eq!(doc, 2);
        doc = h.undo(doc).unwrap();
        assert_eq!(doc, 1);
        doc = h.redo(doc).unwrap();
        assert_eq!(doc, 2);
        doc = h.redo(doc).unwrap();
        assert_eq!(doc, 3);
        assert!(h.redo(doc).is_none());
        for expected in [2, 1, 0] {
            doc = h.undo(doc).unwrap();
            assert_eq!(doc, expected);
        }
        assert!(h.undo(doc).is_none());
        assert!(h.can_redo());
    }

    #[test]
    fn close_changes_make_one_step_and_a_seal_ends_it() {
        let (mut h, mut doc) = (History::default(), 0);
        // A drag: many moves 16 ms apart.
        for (i, to) in (1..=30).enumerate() {
            change(&mut h, &mut doc, to, i as i64 * 16);
        }
        assert_eq!(h.len(), 1);
        h.seal();
        change(&mut h, &mut doc, 100, 500);
        assert_eq!(h.len(), 2, "a sealed step does not continue");
        doc = h.undo(doc).unwrap();
        assert_eq!(doc, 30);
        doc = h.undo(doc).unwrap();
        assert_eq!(doc, 0, "the whole drag undoes at once");
    }

    #[test]
    fn a_pause_starts_a_new_step() {
        let (mut h, mut doc) = (History::default(), 0);
        change(&mut h, &mut doc, 1, 0);
        change(&mut h, &mut doc, 2, COALESCE_MS + 1);
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn a_change_after_an_undo_drops_the_redo() {
        let (mut h, mut doc) = (History::default(), 0);
        change(&mut h, &mut doc, 1, 0);
        change(&mut h, &mut doc, 2, 1_000);
        doc = h.undo(doc).unwrap();
        change(&mut h, &mut doc, 7, 5_000);
        assert!(!h.can_redo());
        assert_eq!(h.undo(doc), Some(1));
    }

    #[test]
    fn the_history_keeps_its_newest_steps() {
        let (mut h, mut doc) = (History::default(), 0);
        for i in 1..=(MAX_STEPS as i32 + 50) {
            change(&mut h, &mut doc, i, i64::from(i) * 1_000);
        }
        assert_eq!(h.len(), MAX_STEPS);
        let mut steps = 0;
        while let Some(before) = h.undo(doc) {
            doc = before;
            steps += 1;
        }
        assert_eq!(steps, MAX_STEPS);
        assert_eq!(doc, 50, "the oldest 50 steps were dropped");
    }
}
