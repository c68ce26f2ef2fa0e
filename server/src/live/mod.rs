//! The live engine.
//!
//! - [`LiveHub`]: this instance's fan-out. Each dataset has one `watch` channel holding
//!   its latest frame, serialized at most once per change. Publishing replaces the
//!   value; a viewer stream reads the newest value when it is ready for it, so a slow
//!   viewer skips intermediate changes (latest wins), costs no memory beyond one frame
//!   per dataset, and never delays anyone else. A share viewer receives the frame cut
//!   down to what its widgets show ([`Wire::Shared`]), made once per change and per
//!   distinct projection and shared likewise. The hub counts viewers per dataset and
//!   tells its listeners when a dataset gains its first viewer or loses its last.
//! - [`bus::Bus`]: how changes reach the hubs of every instance: straight into this
//!   hub (the embedded default) or through Redis pub/sub.

pub mod bus;
mod published;
mod redis_bus;

pub use published::{FrameText, Held, Published, SharedForms};

use app::model::{Append, DatasetId, LiveEvent, Projection};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, watch};

/// How many share projections of one frame are kept for reuse; past that (more
/// distinct sets of bound fields of one dataset on open share pages) each further one
/// is made per viewer.
const MAX_SHARED_FORMS: usize = 8;

/// What a viewer sends of one frame: its full wire forms, or its share forms.
pub enum Wire {
    Full(Arc<Published>),
    Shared(Arc<Published>, Arc<SharedForms>),
}

impl Wire {
    /// The forms of `published` a viewer under `projection` (a share page) or under
    /// none (the editor and the screens) receives.
    pub fn of(published: Arc<Published>, projection: Option<&Projection>) -> Self {
        match projection {
            None => Wire::Full(published),
            Some(p) => {
                let forms = published.shared(p);
                Wire::Shared(published, forms)
            }
        }
    }

    pub fn frame_json(&self) -> WireText<'_> {
        match self {
            Wire::Full(p) => WireText::Json(p.frame_text()),
            Wire::Shared(p, forms) => WireText::Shared(forms.frame_json(p)),
        }
    }

    pub fn frame_event(&self) -> WireText<'_> {
        match self {
            Wire::Full(p) => WireText::Event(p.frame_text()),
            Wire::Shared(p, forms) => WireText::Shared(forms.frame_event(p)),
        }
    }

    pub fn append_event(&self) -> Option<&str> {
        match self {
            Wire::Full(p) => p.append_event(),
            Wire::Shared(p, forms) => forms.append_event(p),
        }
    }
}

/// A part of a frame's wire form, held for as long as it is used.
pub enum WireText<'a> {
    /// The frame's JSON in its text.
    Json(FrameText),
    /// The `frame` event in its text.
    Event(FrameText),
    Shared(&'a str),
}

impl std::ops::Deref for WireText<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            WireText::Json(text) => text.json(),
            WireText::Event(text) => text.event(),
            WireText::Shared(s) => s,
        }
    }
}

/// A dataset gained its first viewer on this instance, or lost its last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interest {
    Watched(DatasetId),
    Unwatched(DatasetId),
}

/// What became of an append offered to the hub.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    Yes,
    /// The hub already holds this change or a later one.
    Stale,
    /// The hub misses an earlier change (or holds nothing): load the whole frame.
    Gap,
}

pub type FrameReceiver = watch::Receiver<Option<Arc<Published>>>;

struct Entry {
    tx: watch::Sender<Option<Arc<Published>>>,
    viewers: usize,
}

/// The announcement that what the screens of dashboard `id` show changed.
pub fn layout_key(id: &app::model::DashboardId) -> String {
    format!("layout:{id}")
}

/// The announcement that dataset `id` was changed or deleted.
pub fn dataset_key(id: &DatasetId) -> String {
    format!("dataset:{id}")
}

#[derive(Default)]
pub struct LiveHub {
    entries: Mutex<HashMap<DatasetId, Entry>>,
    listeners: Mutex<Vec<mpsc::UnboundedSender<Interest>>>,
    revocations: Revocations,
}

/// Keys of credentials just revoked (`share:<link id>`, `session:<hash>`,
/// `user:<id>`), as the bus announces them to every instance: the streams they opened
/// end at once. Also the [`layout_key`] of a dashboard whose screens must reload.
struct Revocations(tokio::sync::broadcast::Sender<String>);

impl Default for Revocations {
    fn default() -> Self {
        Self(tokio::sync::broadcast::channel(1024).0)
    }
}

impl LiveHub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Tells this instance's streams that credential `key` was revoked.
    pub fn revoked(&self, key: &str) {
        let _ = self.revocations.0.send(key.to_string());
    }

    /// Every key revoked from now on.
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.revocations.0.subscribe()
    }

    /// Sends every later change of interest to `tx`.
    pub fn listen(&self) -> mpsc::UnboundedReceiver<Interest> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.listeners.lock().expect("hub listeners").push(tx);
        rx
    }

    fn tell(&self, interest: Interest) {
        self.listeners
            .lock()
            .expect("hub listeners")
            .retain(|tx| tx.send(interest.clone()).is_ok());
    }

    fn with_entry<T>(&self, id: &DatasetId, f: impl FnOnce(&mut Entry) -> T) -> T {
        let mut entries = self.entries.lock().expect("hub entries");
        let entry = entries.entry(id.clone()).or_insert_with(|| Entry {
            tx: watch::channel(None).0,
            viewers: 0,
        });
        f(entry)
    }

    /// Makes `published` the latest of its dataset and wakes its viewers, unless the
    /// hub already holds the same change or a later one. Returns whether it did.
    pub fn publish(&self, published: Arc<Published>) -> bool {
        let id = published.dataset.clone();
        self.with_entry(&id, |e| {
            e.tx.send_if_modified(|held| {
                let newer = held.as_ref().is_none_or(|h| published.seq > h.seq);
                if newer {
                    *held = Some(published);
                }
                newer
            })
        })
    }

    /// Applies an append (its event JSON is `event`) to the held frame.
    pub fn apply(&self, append: &Append, event: String) -> Applied {
        self.with_entry(&append.dataset, |e| {
            let mut outcome = Applied::Gap;
            e.tx.send_if_modified(|held| {
                let Some(h) = held.as_ref() else {
                    return false;
                };
                if append.seq <= h.seq {
                    outcome = Applied::Stale;
                    return false;
                }
                match h.after(append, event) {
                    Some(next) => {
                        *held = Some(Arc::new(next));
                        outcome = Applied::Yes;
                        true
                    }
                    None => false,
                }
            });
            outcome
        })
    }

    /// Applies a change received as a live event's JSON (from the bus).
    pub fn receive(&self, event: String) -> Result<Applied, String> {
        let published = |p: Published| {
            if self.publish(Arc::new(p)) {
                Applied::Yes
            } else {
                Applied::Stale
            }
        };
        // A frame, as every instance writes it, is read straight into a batch.
        if let Some(read) = Published::from_frame_event(&event) {
            return read
                .map(published)
                .map_err(|err| format!("unreadable frame: {err}"));
        }
        match serde_json::from_str::<LiveEvent>(&event) {
            Ok(LiveEvent::Frame { frame }) => Ok(published(Published::full(frame))),
            Ok(LiveEvent::Append(append)) => Ok(self.apply(&append, event)),
            Ok(other) => Err(format!("unexpected {} event", other.event_name())),
            Err(err) => Err(format!("unreadable event: {err}")),
        }
    }

    /// The latest frame of `id` held here, if any.
    pub fn latest(&self, id: &DatasetId) -> Option<Arc<Published>> {
        let entries = self.entries.lock().expect("hub entries");
        entries.get(id).and_then(|e| e.tx.borrow().clone())
    }

    /// Drops the frame held for `id` if nobody watches it (it would go stale).
    pub fn forget_if_unwatched(&self, id: &DatasetId) {
        let mut entries = self.entries.lock().expect("hub entries");
        if entries.get(id).is_some_and(|e| e.viewers == 0) {
            entries.remove(id);
        }
    }

    pub fn is_watched(&self, id: &DatasetId) -> bool {
        let entries = self.entries.lock().expect("hub entries");
        entries.get(id).is_some_and(|e| e.viewers > 0)
    }

    /// Every dataset with a viewer on this instance.
    pub fn watched(&self) -> Vec<DatasetId> {
        let entries = self.entries.lock().expect("hub entries");
        entries
            .iter()
            .filter(|(_, e)| e.viewers > 0)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Watches `id` for as long as the returned `Watch` lives.
    pub fn watch(self: &Arc<Self>, id: &DatasetId) -> Watch {
        let (rx, first) = self.with_entry(id, |e| {
            e.viewers += 1;
            (e.tx.subscribe(), e.viewers == 1)
        });
        if first {
            self.tell(Interest::Watched(id.clone()));
        }
        Watch {
            rx,
            hub: self.clone(),
            id: id.clone(),
        }
    }
}

/// One viewer's hold on a dataset: its receiver, and its share of the viewer count.
pub struct Watch {
    pub rx: FrameReceiver,
    hub: Arc<LiveHub>,
    id: DatasetId,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let last = self.hub.with_entry(&self.id, |e| {
            e.viewers = e.viewers.saturating_sub(1);
            e.viewers == 0
        });
        if last {
            self.hub.tell(Interest::Unwatched(self.id.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::Frame;
    use serde_json::json;

    fn id() -> DatasetId {
        DatasetId::parse("d").unwrap()
    }

    fn frame(seq: u64) -> Frame {
        Frame {
            seq,
            ..Frame::empty(id())
        }
    }

    fn publish(hub: &LiveHub, seq: u64) -> bool {
        hub.publish(Arc::new(Published::full(frame(seq))))
    }

    #[tokio::test]
    async fn a_viewer_sees_the_next_frame() {
        let hub = LiveHub::new();
        let mut w = hub.watch(&id());
        publish(&hub, 1);
        w.rx.changed().await.unwrap();
        assert_eq!(w.rx.borrow().as_ref().unwrap().seq, 1);
        assert_eq!(hub.latest(&id()).unwrap().seq, 1);
    }

    #[tokio::test]
    async fn a_slow_viewer_gets_only_the_latest_frame() {
        let hub = LiveHub::new();
        let mut w = hub.watch(&id());
        for seq in 1..=1000 {
            publish(&hub, seq);
        }
        w.rx.changed().await.unwrap();
        assert_eq!(w.rx.borrow_and_update().as_ref().unwrap().seq, 1000);
        assert!(!w.rx.has_changed().unwrap());
    }

    #[test]
    fn an_older_frame_never_replaces_a_newer_one() {
        let hub = LiveHub::new();
        assert!(publish(&hub, 5));
        assert!(!publish(&hub, 4));
        assert!(!publish(&hub, 5));
        assert_eq!(hub.latest(&id()).unwrap().seq, 5);
    }

    #[test]
    fn the_first_and_last_viewer_are_announced() {
        let hub = LiveHub::new();
        let mut rx = hub.listen();
        let a = hub.watch(&id());
        let b = hub.watch(&id());
        assert_eq!(rx.try_recv().unwrap(), Interest::Watched(id()));
        assert!(rx.try_recv().is_err(), "a second viewer is not announced");
        assert!(hub.is_watched(&id()));
        drop(a);
        assert!(rx.try_recv().is_err());
        drop(b);
        assert_eq!(rx.try_recv().unwrap(), Interest::Unwatched(id()));
        assert!(hub.watched().is_empty());
    }

    #[test]
    fn appends_apply_in_order_and_a_gap_asks_for_the_whole_frame() {
        let hub = LiveHub::new();
        let append = |seq| Append {
            dataset: id(),
            seq,
            drop: 0,
            rows: vec![json!({"v": seq}).as_object().unwrap().clone()],
            updated_at_ms: 1,
        };
        assert_eq!(
            hub.apply(&append(1), String::new()),
            Applied::Gap,
            "nothing held"
        );
        publish(&hub, 1);
        assert_eq!(hub.apply(&append(2), "two".into()), Applied::Yes);
        assert_eq!(hub.apply(&append(2), "two".into()), Applied::Stale);
        assert_eq!(hub.apply(&append(4), "four".into()), Applied::Gap);
        let held = hub.latest(&id()).unwrap();
        assert_eq!(held.seq, 2);
        assert_eq!(held.held().len(), 1);
        assert_eq!(held.append_event(), Some("two"));
    }

    fn share_row(value: i64) -> app::model::Row {
        json!({"value": value, "secret_note": format!("note {value}")})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn share_forms_hold_only_the_bound_fields_and_are_made_once_per_projection() {
        let hub = LiveHub::new();
        let mut full = frame(1);
        full.rows = vec![share_row(1)];
        full.error = Some("db.internal:5432 refused the password".into());
        let published = Arc::new(Published::full(full));
        let projection = Projection::new(["value".to_string()]);
        let same = Projection::new(["value".to_string()]);
        let a = Wire::of(published.clone(), Some(&projection));
        let b = Wire::of(published.clone(), Some(&same));
        let (Wire::Shared(_, fa), Wire::Shared(_, fb)) = (&a, &b) else {
            panic!("share wires");
        };
        assert!(
            Arc::ptr_eq(fa, fb),
            "two share viewers of one view share the forms"
        );
        assert!(std::ptr::eq(&*a.frame_event(), &*b.frame_event()));
        let event: LiveEvent = serde_json::from_str(&a.frame_event()).unwrap();
        let LiveEvent::Frame { frame: shared } = event else {
            panic!("a frame event");
        };
        assert_eq!(
            shared.rows,
            vec![json!({"value": 1}).as_object().unwrap().clone()]
        );
        assert_eq!(shared.error.as_deref(), Some("source unavailable"));
        assert_eq!(&*a.frame_json(), serde_json::to_string(&shared).unwrap());
        assert!(!a.frame_event().contains("secret") && !a.frame_event().contains("db.internal"));
        // The full forms are untouched.
        assert!(Wire::of(published, None)
            .frame_json()
            .contains("secret_note"));

        // An append reaches a share viewer as an append of the bound fields.
        hub.publish(Arc::new(Published::full(Frame {
            rows: vec![share_row(1)],
            ..frame(1)
        })));
        let append = Append {
            dataset: id(),
            seq: 2,
            drop: 0,
            rows: vec![share_row(2)],
            updated_at_ms: 5,
        };
        let event = serde_json::to_string(&LiveEvent::Append(append.clone())).unwrap();
        assert_eq!(hub.apply(&append, event), Applied::Yes);
        let wire = Wire::of(hub.latest(&id()).unwrap(), Some(&projection));
        let shared: LiveEvent = serde_json::from_str(wire.append_event().unwrap()).unwrap();
        assert_eq!(
            shared,
            LiveEvent::Append(Append {
                rows: vec![json!({"value": 2}).as_object().unwrap().clone()],
                ..append
            })
        );
    }

    #[test]
    fn a_received_frame_keeps_its_wire_form() {
        let hub = LiveHub::new();
        let mut with_rows = frame(3);
        with_rows.rows = vec![share_row(1)];
        let p = Published::full(with_rows.clone());
        let event = p.frame_text().event().to_string();
        assert_eq!(hub.receive(event.clone()).unwrap(), Applied::Yes);
        let held = hub.latest(&id()).unwrap();
        assert_eq!(held.frame_text().event(), event);
        assert_eq!(held.frame_text().json(), p.frame_text().json());
        assert!(matches!(held.held(), Held::Batch(_)), "read into columns");
        assert_eq!(held.to_frame(), with_rows);
        assert!(hub.receive("{".into()).is_err());
        assert!(hub
            .receive(format!("{}{{}}}}", published::FRAME_EVENT_HEAD))
            .is_err());
    }
}
