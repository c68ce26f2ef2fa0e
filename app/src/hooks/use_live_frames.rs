//! `use_live_frames`: the latest frame of each dataset a screen shows, kept current by
//! the server's live stream (server-sent events).
//!
//! On the server the hook only holds the frames it was given, so the first HTML already
//! shows current values; in the browser it opens an `EventSource` to `stream_url`,
//! applies the snapshot, every frame and every append, reconnects when the URL changes
//! or the stream breaks (with backoff and jitter), and closes the stream when the
//! component is dropped. A reconnect names the last event seen, so the server sends
//! only what changed meanwhile; when a server asks its clients to reconnect (it is
//! stopping), the hook does so at once and the screen keeps its values throughout.
//! When the page's layout changed (its dashboard was published) the stream says so
//! (`layout_changes`) and ends; the page loads the new layout and its new stream.

use crate::model::{DatasetId, Frame};
use leptos::prelude::*;
use std::collections::HashMap;

/// The state of the live connection, for the connection indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// Not started yet (server render, or before hydration).
    Idle,
    Connecting,
    Live,
    /// The stream broke; the browser retries by itself.
    Reconnecting,
}

impl Connection {
    pub fn label(self) -> &'static str {
        match self {
            Connection::Idle | Connection::Connecting => "connecting",
            Connection::Live => "live",
            Connection::Reconnecting => "reconnecting",
        }
    }
}

pub struct UseLiveFramesReturn {
    pub frames: LiveFrames,
    pub connection: RwSignal<Connection>,
    /// How many times the server said the page's layout changed (`layout` events).
    pub layout_changes: RwSignal<u32>,
}

/// The latest frame of each dataset, one signal per dataset: an event re-runs only
/// the widgets bound to the dataset it changed, however many others a screen shows.
///
/// In the browser, events change the held frames at once but their widgets hear of it
/// in an animation frame, once per dataset however many events arrived meanwhile: a
/// screen draws at most once per frame, spreads a burst over a few frames, and a busy
/// one skips values instead of falling behind.
#[derive(Clone, Copy)]
pub struct LiveFrames {
    signals: StoredValue<HashMap<DatasetId, RwSignal<Option<Frame>>>>,
    /// The owner the per-dataset signals live under (the hook's caller).
    owner: StoredValue<Owner>,
    /// Datasets changed and not drawn yet, oldest change first, with when each
    /// changed (`performance.now()`, ms).
    dirty: StoredValue<Vec<(RwSignal<Option<Frame>>, f64)>>,
}

impl LiveFrames {
    pub fn new(initial: Vec<Frame>) -> Self {
        let frames = Self {
            signals: StoredValue::new(HashMap::new()),
            owner: StoredValue::new(Owner::current().unwrap_or_default()),
            dirty: StoredValue::new(Vec::new()),
        };
        for frame in initial {
            let signal = frames.signal(&frame.dataset);
            signal.update_untracked(|held| *held = Some(frame));
        }
        frames
    }

    /// The signal holding `dataset`'s frame (made on first use).
    pub fn signal(&self, dataset: &DatasetId) -> RwSignal<Option<Frame>> {
        if let Some(found) = self.signals.with_value(|s| s.get(dataset).copied()) {
            return found;
        }
        let made = self.owner.with_value(|o| o.with(|| RwSignal::new(None)));
        self.signals.update_value(|s| {
            s.entry(dataset.clone()).or_insert(made);
        });
        self.signals
            .with_value(|s| s.get(dataset).copied())
            .unwrap_or(made)
    }

    /// `dataset`'s frame, tracked.
    pub fn get(&self, dataset: &DatasetId) -> Option<Frame> {
        self.signal(dataset).get()
    }

    /// Applies `frame` unless an equal or newer one of the same stream is held.
    pub fn apply(&self, frame: Frame) {
        let signal = self.signal(&frame.dataset);
        let newer = signal.with_untracked(|held| match held {
            Some(held) => !(held.seq >= frame.seq && held.seq != 0),
            None => true,
        });
        if newer {
            signal.update_untracked(|held| *held = Some(frame));
            self.changed(signal);
        }
    }

    /// Replaces the held frame, whatever its sequence number (a snapshot).
    pub fn replace(&self, frame: Frame) {
        let signal = self.signal(&frame.dataset);
        signal.update_untracked(|held| *held = Some(frame));
        self.changed(signal);
    }

    /// Applies an append when it follows the held frame directly, in place: the rows
    /// held are not copied.
    pub fn append(&self, append: &crate::model::Append) {
        let signal = self.signal(&append.dataset);
        let applied = signal
            .try_update_untracked(|held| {
                held.as_mut()
                    .is_some_and(|frame| frame.append_in_place(append))
            })
            .unwrap_or(false);
        if applied {
            self.changed(signal);
        }
    }

    /// Tells `signal`'s subscribers it changed: in an animation frame in the browser
    /// (once, however often it changed meanwhile; see `draw`), at once elsewhere.
    fn changed(&self, signal: RwSignal<Option<Frame>>) {
        #[cfg(feature = "hydrate")]
        draw::changed(self.dirty, signal);
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = self.dirty;
            signal.notify();
        }
    }
}

/// Drawing changed datasets in animation frames, within a budget per frame.
///
/// A burst of changes (every dataset of a wall pushed at the same instant) is spread
/// over a few frames instead of making one long frame that stalls the clock, the
/// fades and the pointer. A change is never held back longer than `MAX_WAIT_MS`:
/// when the page cannot keep up, spreading would only add frames (each costs the
/// browser a pass over the whole page) and let newer values overwrite more of the
/// waiting ones, so what has waited that long is drawn in the next frame whatever
/// it costs.
#[cfg(feature = "hydrate")]
mod draw {
    use super::Frame;
    use leptos::prelude::*;

    /// Script time one animation frame spends drawing changed datasets (ms). The
    /// browser's style, layout and paint of what was drawn follow in the same frame,
    /// so a frame costs a few times this.
    const BUDGET_MS: f64 = 3.0;
    /// The longest a change waits for its frame (ms): three frames at 60 Hz.
    pub const MAX_WAIT_MS: f64 = 50.0;

    type Dirty = StoredValue<Vec<(RwSignal<Option<Frame>>, f64)>>;

    /// Notes that `signal` changed; its widgets hear of it in a coming frame.
    pub fn changed(dirty: Dirty, signal: RwSignal<Option<Frame>>) {
        let first = dirty
            .try_update_value(|dirty| {
                let first = dirty.is_empty();
                if !dirty.iter().any(|(s, _)| *s == signal) {
                    dirty.push((signal, now()));
                }
                first
            })
            .unwrap_or(false);
        if first {
            at_next_frame(dirty);
        }
    }

    /// Draws the datasets in `dirty`, oldest change first, at the next animation
    /// frame: until the budget is spent, and then those that waited too long. At
    /// least one is drawn per frame.
    fn at_next_frame(dirty: Dirty) {
        request_animation_frame(move || {
            leptos::task::spawn_local(async move {
                let started = now();
                let mut drawn = 0;
                loop {
                    let next = dirty
                        .try_update_value(|d| {
                            let (_, since) = *d.first()?;
                            let spent = drawn > 0 && now() - started >= BUDGET_MS;
                            (!spent || now() - since >= MAX_WAIT_MS).then(|| d.remove(0).0)
                        })
                        .flatten();
                    let Some(signal) = next else { break };
                    signal.notify();
                    drawn += 1;
                    // The widgets' effects are tasks of their own: let them run.
                    settle().await;
                }
                if dirty.try_with_value(|d| !d.is_empty()).unwrap_or(false) {
                    at_next_frame(dirty);
                }
            });
        });
    }

    fn now() -> f64 {
        window().performance().map_or(0.0, |p| p.now())
    }

    /// Resolves after the tasks already queued (the effects a notification woke).
    async fn settle() {
        let resolved = js_sys::Promise::resolve(&wasm_bindgen::JsValue::UNDEFINED);
        let _ = wasm_bindgen_futures::JsFuture::from(resolved).await;
    }
}

/// The stream URL resuming after event `last_event_id`.
pub fn resume_url(url: &str, last_event_id: Option<&str>) -> String {
    match last_event_id.filter(|id| !id.is_empty()) {
        None => url.to_string(),
        Some(id) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}last_event_id={id}")
        }
    }
}

pub fn use_live_frames(
    initial: Vec<Frame>,
    stream_url: impl Fn() -> String + Send + Sync + 'static,
) -> UseLiveFramesReturn {
    let frames = LiveFrames::new(initial);
    let connection = RwSignal::new(Connection::Idle);
    let layout_changes = RwSignal::new(0);
    imp::connect(frames, connection, layout_changes, stream_url);
    UseLiveFramesReturn {
        frames,
        connection,
        layout_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resume_url_adds_the_last_event_id() {
        assert_eq!(
            resume_url("/api/v1/live?datasets=a", None),
            "/api/v1/live?datasets=a"
        );
        assert_eq!(
            resume_url("/api/v1/live?datasets=a", Some("4")),
            "/api/v1/live?datasets=a&last_event_id=4"
        );
        assert_eq!(
            resume_url("/api/v1/live/share/t", Some("4.5")),
            "/api/v1/live/share/t?last_event_id=4.5"
        );
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use super::*;

    pub fn connect(
        _frames: LiveFrames,
        _connection: RwSignal<Connection>,
        _layout_changes: RwSignal<u32>,
        _stream_url: impl Fn() -> String + Send + Sync + 'static,
    ) {
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use crate::model::LiveEvent;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::{closure::Closure, JsCast};
    use web_sys::{EventSource, MessageEvent};

    pub fn connect(
        frames: LiveFrames,
        connection: RwSignal<Connection>,
        layout_changes: RwSignal<u32>,
        stream_url: impl Fn() -> String + Send + Sync + 'static,
    ) {
        let current: StoredValue<Option<SendWrapper<Stream>>, LocalStorage> =
            StoredValue::new_local(None);
        let retry = Retry {
            reopen: RwSignal::new(0),
            failures: StoredValue::new(0),
            last_event_id: StoredValue::new(None),
        };
        let opened_url: StoredValue<String> = StoredValue::new(String::new());
        Effect::new(move |_| {
            let url = stream_url();
            retry.reopen.track();
            if let Some(old) = current.try_update_value(|c| c.take()).flatten() {
                old.close();
            }
            // A resume point belongs to the set of datasets it was made for.
            if opened_url.get_value() != url {
                retry.last_event_id.set_value(None);
                opened_url.set_value(url.clone());
            }
            if connection.get_untracked() != Connection::Live {
                connection.set(Connection::Connecting);
            }
            let url = resume_url(&url, retry.last_event_id.get_value().as_deref());
            match Stream::open(&url, frames, connection, layout_changes, retry) {
                Ok(stream) => current.set_value(Some(SendWrapper::new(stream))),
                Err(_) => retry.later(connection),
            }
        });
        on_cleanup(move || {
            if let Some(old) = current.try_update_value(|c| c.take()).flatten() {
                old.close();
            }
        });
    }

    /// Reconnection with exponential backoff and jitter: 1 s, 2 s, 4 s … up to 30 s,
    /// each scaled by a random factor in [0.5, 1.5), so that many screens that lost
    /// the same server do not all come back in the same instant.
    #[derive(Clone, Copy)]
    struct Retry {
        reopen: RwSignal<u64>,
        failures: StoredValue<u32>,
        /// The id of the last event received: where a new stream resumes.
        last_event_id: StoredValue<Option<String>>,
    }

    impl Retry {
        /// Reconnects soon (within a quarter second, spread so that the clients of a
        /// stopping server do not all arrive at once), keeping the screen as it is.
        fn now(self) {
            let delay = 250.0 * js_sys::Math::random();
            let reopen = self.reopen;
            set_timeout(
                move || {
                    reopen.try_update(|n| *n += 1);
                },
                std::time::Duration::from_millis(delay as u64),
            );
        }

        fn later(self, connection: RwSignal<Connection>) {
            connection.set(Connection::Reconnecting);
            let failures = self.failures.get_value();
            self.failures.set_value(failures.saturating_add(1));
            let base = (1000.0 * 2f64.powi(failures.min(5) as i32)).min(30_000.0);
            let delay = base * (0.5 + js_sys::Math::random());
            let reopen = self.reopen;
            set_timeout(
                move || {
                    reopen.try_update(|n| *n += 1);
                },
                std::time::Duration::from_millis(delay as u64),
            );
        }

        fn succeeded(self) {
            self.failures.set_value(0);
        }
    }

    /// An open `EventSource` and the callbacks it holds.
    pub struct Stream {
        source: EventSource,
        _callbacks: Vec<Closure<dyn FnMut(web_sys::Event)>>,
    }

    impl Stream {
        fn open(
            url: &str,
            frames: LiveFrames,
            connection: RwSignal<Connection>,
            layout_changes: RwSignal<u32>,
            retry: Retry,
        ) -> Result<Self, wasm_bindgen::JsValue> {
            let source = EventSource::new(url)?;
            // One handler per event name, each holding the source (to close it on a
            // `reconnect`).
            let on_message = move |closing: EventSource| {
                move |ev: web_sys::Event| {
                    let Some(message) = ev.dyn_ref::<MessageEvent>() else {
                        return;
                    };
                    let Some(data) = message.data().as_string() else {
                        return;
                    };
                    let id = message.last_event_id();
                    if !id.is_empty() {
                        retry.last_event_id.set_value(Some(id));
                    }
                    match LiveEvent::read(&ev.type_(), &data) {
                        // A snapshot is the truth of the (possibly new) server: its frames
                        // replace those held, whatever their sequence numbers. After a
                        // resume it holds only the frames that changed.
                        Ok(LiveEvent::Snapshot { frames: snapshot }) => {
                            for frame in snapshot {
                                frames.replace(frame);
                            }
                        }
                        Ok(LiveEvent::Frame { frame }) => frames.apply(frame),
                        Ok(LiveEvent::Append(append)) => frames.append(&append),
                        Ok(LiveEvent::Reconnect) => {
                            closing.close();
                            retry.now();
                        }
                        // The page loads its new layout, which opens a new stream.
                        Ok(LiveEvent::Layout) => {
                            closing.close();
                            layout_changes.update(|n| *n += 1);
                        }
                        Ok(LiveEvent::Reload) => {
                            closing.close();
                            let _ = window().location().reload();
                        }
                        Err(err) => {
                            leptos::logging::warn!("live stream: unreadable message: {err}")
                        }
                    }
                }
            };
            let mut callbacks: Vec<Closure<dyn FnMut(web_sys::Event)>> = Vec::new();
            for name in [
                "snapshot",
                "frame",
                "append",
                "reconnect",
                "layout",
                "reload",
            ] {
                let cb = Closure::<dyn FnMut(web_sys::Event)>::new(on_message(source.clone()));
                source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref())?;
                callbacks.push(cb);
            }
            let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                retry.succeeded();
                connection.set(Connection::Live);
            });
            source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
            callbacks.push(on_open);
            // On any error, close and come back on our own schedule (the browser's own
            // retry has no backoff, and gives up for good on an HTTP error answer).
            let failed = source.clone();
            let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
                failed.close();
                retry.later(connection);
            });
            source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            callbacks.push(on_error);
            Ok(Self {
                source,
                _callbacks: callbacks,
            })
        }

        pub fn close(&self) {
            self.source.close();
        }
    }
}
