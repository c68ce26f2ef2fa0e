//! A published change of one dataset and its wire forms.
//!
//! A polled dataset's rows are held as the columnar [`Batch`] its pipeline made (a
//! million narrow rows are tens of megabytes, against hundreds as row maps); a pushed
//! dataset's rows stay rows, which its appends extend. Either is written to JSON
//! straight from what is held, once per change and only when someone needs it; the
//! whole `frame` server-sent event is that one text ([`FrameText`]), and the frame's
//! JSON and its `frame` event are slices of it. A text past [`KEEP_BYTES`] is kept only
//! while someone holds it (viewers sending it, the store writing it), so a big
//! dataset's memory is its batch, not its batch and its JSON.

use super::MAX_SHARED_FORMS;
use app::model::{Append, DatasetId, Frame, Lineage, LiveEvent, Projection, Row};
use app::pipeline::Batch;
use axum::body::Bytes;
use serde::Deserialize;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// The longest frame text a change keeps for the next viewer; a longer one is written
/// again when needed after its last holder let it go.
pub const KEEP_BYTES: usize = 8 << 20;

/// Most rows of one dataset a page rendered on the server embeds: a bigger dataset's
/// widgets render as loading, and its rows arrive in the live stream's snapshot (which
/// every first connection gets). Copying a million rows out per page request, and
/// into the page, would let a few requests exhaust memory.
pub const PAGE_ROWS: usize = 10_000;

/// How a `frame` event's JSON starts (the frame follows, then `}`).
pub(super) const FRAME_EVENT_HEAD: &str = r#"{"type":"frame","frame":"#;

/// A dataset's rows as a change holds them.
#[derive(Debug, Clone)]
pub enum Held {
    /// A pushed dataset's rows (appends extend them).
    Rows(Vec<Row>),
    /// A polled dataset's rows, as its pipeline made them.
    Batch(Arc<Batch>),
}

impl Held {
    pub fn len(&self) -> usize {
        match self {
            Held::Rows(rows) => rows.len(),
            Held::Batch(batch) => batch.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows, copied out.
    pub fn to_rows(&self) -> Vec<Row> {
        match self {
            Held::Rows(rows) => rows.clone(),
            Held::Batch(batch) => batch.to_rows(),
        }
    }

    fn into_rows(self) -> Vec<Row> {
        match self {
            Held::Rows(rows) => rows,
            Held::Batch(batch) => batch.to_rows(),
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Held::Rows(rows) => serde_json::to_writer(out, rows).expect("rows serialize"),
            Held::Batch(batch) => batch.write_json(out),
        }
    }

    /// Only the fields `projection` keeps.
    fn projected(&self, projection: &Projection) -> Held {
        match self {
            Held::Rows(rows) => Held::Rows(rows.iter().map(|r| projection.row(r)).collect()),
            Held::Batch(batch) => Held::Batch(Arc::new(projection.batch(batch))),
        }
    }
}

/// A change of one dataset and its wire forms, made at most once per change and shared
/// by every viewer. Its share forms (cut down by a [`Projection`]) are likewise made
/// once per change and per distinct projection, and shared by the share viewers that
/// use it.
#[derive(Debug)]
pub struct Published {
    pub dataset: DatasetId,
    /// Increases with every change of the dataset.
    pub seq: u64,
    /// When the rows were last refreshed successfully (Unix ms); 0 if never.
    pub updated_at_ms: i64,
    /// Why the last refresh failed, if it did (the rows are the last good ones).
    pub error: Option<String>,
    lineage: Lineage,
    held: Held,
    /// The whole `frame` event as a single-dataset viewer receives it.
    wire: Mutex<Hold>,
    /// The `append` event that turned the change of `seq - 1` into this one, if any.
    append_event: Option<String>,
    /// When this change was an append: how many rows it dropped and added.
    appended: Option<(usize, usize)>,
    shared: Mutex<Vec<Arc<SharedForms>>>,
    /// The whole `append` event that single-dataset viewers receive: made by the
    /// first such viewer, shared by the rest.
    append_sse: OnceLock<Bytes>,
}

/// The whole `frame` server-sent event of a change: `event: frame`, `id: <seq>`, and
/// `data: ` followed by the `frame` event's JSON (which holds the frame's JSON). Cheap
/// to clone: every viewer shares the one text.
#[derive(Debug, Clone)]
pub struct FrameText {
    /// (An `Arc<String>`, not an `Arc<str>`: a `Weak` of it pins only the `String`'s
    /// few bytes once the last holder lets go, not the text.)
    text: Arc<String>,
    /// Where the `frame` event's JSON starts.
    data_at: usize,
}

/// How a change holds its frame text.
#[derive(Debug, Default)]
enum Hold {
    #[default]
    None,
    Kept(FrameText),
    /// A text past `KEEP_BYTES`, alive while someone else holds it.
    Lent(Weak<String>, usize),
}

/// A frame text as the owner of a `Bytes`.
struct SharedText(Arc<String>);

impl AsRef<[u8]> for SharedText {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl FrameText {
    /// The `frame` event carrying the whole frame.
    pub fn event(&self) -> &str {
        // The event ends with `\n\n`.
        &self.text[self.data_at..self.text.len() - 2]
    }

    /// The frame as JSON.
    pub fn json(&self) -> &str {
        let event = self.event();
        &event[FRAME_EVENT_HEAD.len()..event.len() - 1]
    }

    /// The whole server-sent event of a single-dataset viewer (its id is the seq).
    pub fn sse(&self) -> Bytes {
        Bytes::from_owner(SharedText(self.text.clone()))
    }
}

/// The server-sent event lines before a `frame` event's data.
fn sse_head(seq: u64) -> String {
    format!("event: frame\nid: {seq}\ndata: ")
}

/// Writes a frame's JSON (as `serde_json` writes `app::model::Frame`: dataset, seq,
/// rows, updated_at_ms, then the error if there is one).
fn write_frame(
    out: &mut Vec<u8>,
    dataset: &DatasetId,
    seq: u64,
    rows: &Held,
    updated_at_ms: i64,
    error: Option<&str>,
) {
    // Writing to a Vec cannot fail.
    out.extend_from_slice(br#"{"dataset":"#);
    let _ = serde_json::to_writer(&mut *out, dataset);
    let _ = write!(out, r#","seq":{seq},"rows":"#);
    rows.write_json(out);
    let _ = write!(out, r#","updated_at_ms":{updated_at_ms}"#);
    if let Some(error) = error {
        out.extend_from_slice(br#","error":"#);
        let _ = serde_json::to_writer(&mut *out, error);
    }
    out.push(b'}');
}

/// A text written as bytes by the functions above (valid UTF-8 by construction), with
/// no spare capacity.
fn into_text(mut bytes: Vec<u8>) -> String {
    bytes.shrink_to_fit();
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// A frame as stored or cached: its rows are read straight into a batch.
#[derive(Deserialize)]
struct StoredFrame {
    dataset: DatasetId,
    seq: u64,
    #[serde(deserialize_with = "app::pipeline::batch::deserialize_rows")]
    rows: Batch,
    updated_at_ms: i64,
    #[serde(default)]
    error: Option<String>,
}

impl Published {
    /// A change with no error, starting a new lineage.
    fn new(dataset: DatasetId, seq: u64, updated_at_ms: i64, held: Held) -> Self {
        Self {
            dataset,
            seq,
            updated_at_ms,
            error: None,
            lineage: Lineage::default(),
            held,
            wire: Mutex::default(),
            append_event: None,
            appended: None,
            shared: Mutex::new(Vec::new()),
            append_sse: OnceLock::new(),
        }
    }

    /// A change holding `frame`'s rows as they are.
    pub fn full(frame: Frame) -> Self {
        Self {
            error: frame.error,
            lineage: frame.lineage,
            ..Self::new(
                frame.dataset,
                frame.seq,
                frame.updated_at_ms,
                Held::Rows(frame.rows),
            )
        }
    }

    /// A change of `dataset` to `batch`.
    pub fn batch(dataset: DatasetId, seq: u64, batch: Arc<Batch>, updated_at_ms: i64) -> Self {
        Self::new(dataset, seq, updated_at_ms, Held::Batch(batch))
    }

    /// The change after this one when a refresh failed with `error`: the same rows
    /// (shared, not copied), marked with the error.
    pub fn failed(&self, error: String) -> Self {
        Self {
            error: Some(error),
            lineage: self.lineage,
            ..Self::new(
                self.dataset.clone(),
                self.seq + 1,
                self.updated_at_ms,
                self.held.clone(),
            )
        }
    }

    /// A frame as stored or cached (its JSON), its rows read into a batch.
    pub fn from_json(json: &str) -> serde_json::Result<Self> {
        let stored: StoredFrame = serde_json::from_str(json)?;
        Ok(Self {
            error: stored.error,
            ..Self::batch(
                stored.dataset,
                stored.seq,
                Arc::new(stored.rows),
                stored.updated_at_ms,
            )
        })
    }

    /// A frame received as the `frame` event `event` (as in [`Self::frame_text`]);
    /// `None` if `event` is not one.
    pub(super) fn from_frame_event(event: &str) -> Option<serde_json::Result<Self>> {
        let json = event.strip_prefix(FRAME_EVENT_HEAD)?.strip_suffix('}')?;
        Some(Self::from_json(json).inspect(|published| {
            let head = sse_head(published.seq);
            published.hold(FrameText {
                text: Arc::new(format!("{head}{event}\n\n")),
                data_at: head.len(),
            });
        }))
    }

    /// The change `append` (whose event is `append_event`) makes of this one, if it
    /// follows it directly; `None` when a change was missed.
    pub(super) fn after(&self, append: &Append, append_event: String) -> Option<Self> {
        if append.seq != self.seq + 1 || append.dataset != self.dataset {
            return None;
        }
        let drop = append.drop.min(self.held.len());
        let mut rows = Vec::with_capacity(self.held.len() - drop + append.rows.len());
        match &self.held {
            Held::Rows(held) => rows.extend_from_slice(&held[drop..]),
            Held::Batch(batch) => rows.extend(batch.to_rows().into_iter().skip(drop)),
        }
        rows.extend(append.rows.iter().cloned());
        Some(Self {
            lineage: Lineage {
                id: self.lineage.id,
                first: self.lineage.first + drop as u64,
            },
            append_event: Some(append_event),
            appended: Some((append.drop, append.rows.len())),
            ..Self::new(
                self.dataset.clone(),
                append.seq,
                append.updated_at_ms,
                Held::Rows(rows),
            )
        })
    }

    /// The rows held.
    pub fn held(&self) -> &Held {
        &self.held
    }

    /// Whether this change holds `batch`, with no error.
    pub fn holds(&self, batch: &Batch) -> bool {
        self.error.is_none()
            && match &self.held {
                Held::Batch(held) => **held == *batch,
                Held::Rows(rows) => rows.len() == batch.len() && *rows == batch.to_rows(),
            }
    }

    /// The change as a frame of rows (a copy: for pages rendered on the server).
    pub fn to_frame(&self) -> Frame {
        Frame {
            error: self.error.clone(),
            lineage: self.lineage,
            ..Frame::new(
                self.dataset.clone(),
                self.seq,
                self.held.to_rows(),
                self.updated_at_ms,
            )
        }
    }

    /// The frame a page rendered on the server embeds: the change's rows, or nothing
    /// yet past [`PAGE_ROWS`].
    pub fn page_frame(&self) -> Frame {
        if self.held.len() > PAGE_ROWS {
            return Frame::empty(self.dataset.clone());
        }
        self.to_frame()
    }

    /// The frame a share page rendered on the server embeds (see
    /// [`SharedForms::frame_event`]): only the bound fields are copied out, and nothing
    /// yet past [`PAGE_ROWS`].
    pub fn page_projected_frame(&self, projection: &Projection) -> Frame {
        if self.held.len() > PAGE_ROWS {
            return projection.frame(&Frame::empty(self.dataset.clone()));
        }
        Frame {
            error: self.shared_error(),
            lineage: self.lineage,
            ..Frame::new(
                self.dataset.clone(),
                self.seq,
                self.held.projected(projection).into_rows(),
                self.updated_at_ms,
            )
        }
    }

    /// What a share page says in place of the refresh error.
    fn shared_error(&self) -> Option<String> {
        self.error
            .as_ref()
            .map(|_| app::model::unavailable_since(self.updated_at_ms))
    }

    /// The frame's text: the one held, or written now (and kept if it is short).
    pub fn frame_text(&self) -> FrameText {
        let mut hold = self.wire.lock().expect("frame text");
        match &*hold {
            Hold::Kept(text) => return text.clone(),
            Hold::Lent(weak, data_at) => {
                if let Some(text) = weak.upgrade() {
                    return FrameText {
                        text,
                        data_at: *data_at,
                    };
                }
            }
            Hold::None => {}
        }
        let head = sse_head(self.seq);
        let mut out = Vec::new();
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(FRAME_EVENT_HEAD.as_bytes());
        self.write_json(&mut out);
        out.extend_from_slice(b"}\n\n");
        let text = FrameText {
            text: Arc::new(into_text(out)),
            data_at: head.len(),
        };
        *hold = Self::holding(&text);
        text
    }

    /// Keeps `text` as this change's frame text (by the rule of `frame_text`).
    fn hold(&self, text: FrameText) {
        *self.wire.lock().expect("frame text") = Self::holding(&text);
    }

    fn holding(text: &FrameText) -> Hold {
        if text.text.len() <= KEEP_BYTES {
            Hold::Kept(text.clone())
        } else {
            Hold::Lent(Arc::downgrade(&text.text), text.data_at)
        }
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        write_frame(
            out,
            &self.dataset,
            self.seq,
            &self.held,
            self.updated_at_ms,
            self.error.as_deref(),
        );
    }

    /// The `append` event that leads here from the change before, if this was one.
    pub fn append_event(&self) -> Option<&str> {
        self.append_event.as_deref()
    }

    /// The whole `append` server-sent event, made by `make` once and then shared.
    pub fn append_sse(&self, make: impl FnOnce() -> Bytes) -> Bytes {
        self.append_sse.get_or_init(make).clone()
    }

    /// The share forms of this change under `projection`: reused if a share viewer
    /// already asked for them, else made (and kept, up to `MAX_SHARED_FORMS`).
    pub fn shared(&self, projection: &Projection) -> Arc<SharedForms> {
        let mut shared = self.shared.lock().expect("shared forms");
        if let Some(forms) = shared.iter().find(|f| &f.projection == projection) {
            return forms.clone();
        }
        let forms = Arc::new(SharedForms {
            projection: projection.clone(),
            frame_event: OnceLock::new(),
            append_event: OnceLock::new(),
        });
        if shared.len() < MAX_SHARED_FORMS {
            shared.push(forms.clone());
        }
        forms
    }
}

/// A change's wire forms as a share page receives them (see `Projection`), each made
/// on first use.
#[derive(Debug)]
pub struct SharedForms {
    projection: Projection,
    frame_event: OnceLock<String>,
    append_event: OnceLock<Option<String>>,
}

impl SharedForms {
    /// The `frame` event carrying the shared frame of `of`: its bound fields, and in
    /// place of a refresh error a generic "source unavailable since …".
    pub(super) fn frame_event(&self, of: &Published) -> &str {
        self.frame_event.get_or_init(|| {
            let mut out = FRAME_EVENT_HEAD.as_bytes().to_vec();
            let error = of.shared_error();
            write_frame(
                &mut out,
                &of.dataset,
                of.seq,
                &of.held.projected(&self.projection),
                of.updated_at_ms,
                error.as_deref(),
            );
            out.push(b'}');
            into_text(out)
        })
    }

    /// The shared frame of `of` as JSON.
    pub(super) fn frame_json(&self, of: &Published) -> &str {
        let event = self.frame_event(of);
        &event[FRAME_EVENT_HEAD.len()..event.len() - 1]
    }

    /// The `append` event that leads to the shared frame of `of`, if `of` was reached
    /// by one.
    pub(super) fn append_event(&self, of: &Published) -> Option<&str> {
        self.append_event
            .get_or_init(|| {
                let (drop, added) = of.appended?;
                let Held::Rows(rows) = &of.held else {
                    return None;
                };
                let from = rows.len().saturating_sub(added);
                let append = Append {
                    dataset: of.dataset.clone(),
                    seq: of.seq,
                    drop,
                    rows: rows[from..]
                        .iter()
                        .map(|r| self.projection.row(r))
                        .collect(),
                    updated_at_ms: of.updated_at_ms,
                };
                Some(
                    serde_json::to_string(&LiveEvent::Append(append)).expect("an event serializes"),
                )
            })
            .as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows() -> Vec<Row> {
        serde_json::from_value(json!([
            {"id": 1, "name": "a\"b\n", "amount": 1.5, "paid": true},
            {"id": 2, "name": "é", "amount": null, "tags": [1, {"k": 2}]},
            {"name": "c", "id": 18446744073709551615u64}
        ]))
        .unwrap()
    }

    fn frame(error: Option<&str>) -> Frame {
        Frame {
            error: error.map(str::to_string),
            ..Frame::new(DatasetId::parse("d-1").unwrap(), 7, rows(), 1234)
        }
    }

    fn as_batch(frame: &Frame) -> Published {
        Published {
            error: frame.error.clone(),
            ..Published::batch(
                frame.dataset.clone(),
                frame.seq,
                Arc::new(Batch::from_rows(frame.rows.clone())),
                frame.updated_at_ms,
            )
        }
    }

    #[test]
    fn a_change_writes_the_json_serde_json_writes_for_its_frame_rows_or_batch() {
        for error in [None, Some("refused \"x\"")] {
            let frame = frame(error);
            let rows = Published::full(frame.clone());
            let batch = as_batch(&frame);
            for p in [&rows, &batch] {
                // (A batch gives every row its fields in column order.)
                let frame = match p.held() {
                    Held::Rows(_) => frame.clone(),
                    Held::Batch(b) => Frame {
                        rows: b.to_rows(),
                        ..frame.clone()
                    },
                };
                let expected = serde_json::to_string(&frame).unwrap();
                let text = p.frame_text();
                assert_eq!(text.json(), expected);
                assert_eq!(p.to_frame(), frame);
                let event: LiveEvent = serde_json::from_str(text.event()).unwrap();
                assert_eq!(
                    event,
                    LiveEvent::Frame {
                        frame: frame.clone()
                    }
                );
                let sse = text.sse();
                assert_eq!(
                    sse,
                    format!("event: frame\nid: 7\ndata: {}\n\n", text.event()).as_bytes()
                );
                assert_eq!(
                    sse.as_ptr(),
                    p.frame_text().sse().as_ptr(),
                    "one text, shared by every viewer"
                );
            }
            assert!(batch.holds(&Batch::from_rows(frame.rows.clone())) == error.is_none());
        }
    }

    #[test]
    fn the_json_is_one_text_kept_when_short_and_lent_when_long() {
        let p = as_batch(&frame(None));
        let text = p.frame_text();
        let sse = text.sse();
        let inside = |s: &str| sse.as_ptr_range().contains(&s.as_ptr());
        assert!(
            inside(text.json()) && inside(text.event()),
            "the JSON and the event are parts of the one text"
        );
        drop((text, sse));
        let again = p.frame_text();
        assert!(matches!(*p.wire.lock().unwrap(), Hold::Kept(_)));
        assert_eq!(again.json(), p.frame_text().json());

        // Past KEEP_BYTES: shared while held, let go with its last holder.
        let long = "x".repeat(KEEP_BYTES);
        let rows: Vec<Row> = serde_json::from_value(json!([{ "t": long }])).unwrap();
        let big = Published::full(Frame::new(p.dataset.clone(), 1, rows, 0));
        let first = big.frame_text();
        let second = big.frame_text();
        assert_eq!(
            first.sse().as_ptr(),
            second.sse().as_ptr(),
            "one text while held"
        );
        let weak = match &*big.wire.lock().unwrap() {
            Hold::Lent(weak, _) => weak.clone(),
            _ => panic!("a long text is lent, not kept"),
        };
        drop((first, second));
        assert!(weak.upgrade().is_none(), "nobody holds it now");
        assert!(
            big.frame_text().json().contains(&"x".repeat(100)),
            "written again"
        );
    }

    #[test]
    fn a_stored_frame_reads_into_a_batch_and_a_received_event_keeps_its_text() {
        let frame = frame(Some("late"));
        let json = serde_json::to_string(&frame).unwrap();
        let read = Published::from_json(&json).unwrap();
        assert!(matches!(read.held(), Held::Batch(_)));
        assert_eq!(read.to_frame(), frame);
        let event = Published::full(frame.clone())
            .frame_text()
            .event()
            .to_string();
        let received = Published::from_frame_event(&event).unwrap().unwrap();
        assert_eq!(received.frame_text().event(), event);
        assert_eq!(received.to_frame(), frame);
        assert!(Published::from_frame_event(r#"{"type":"append"}"#).is_none());
        assert!(Published::from_json(r#"{"dataset":"d","seq":1,"rows":[1]}"#).is_err());
    }

    #[test]
    fn a_page_embeds_a_dataset_of_up_to_page_rows_and_a_bigger_one_as_loading() {
        let id = DatasetId::parse("d").unwrap();
        let rows = |n: usize| -> Vec<Row> {
            (0..n)
                .map(|i| serde_json::from_value(json!({ "n": i })).unwrap())
                .collect()
        };
        let fits = Published::batch(
            id.clone(),
            3,
            Arc::new(Batch::from_rows(rows(PAGE_ROWS))),
            1,
        );
        assert_eq!(fits.page_frame().rows.len(), PAGE_ROWS);
        let every = Projection::every();
        assert_eq!(fits.page_projected_frame(&every).rows.len(), PAGE_ROWS);
        let big = Published::batch(
            id.clone(),
            3,
            Arc::new(Batch::from_rows(rows(PAGE_ROWS + 1))),
            1,
        );
        assert_eq!(big.page_frame(), Frame::empty(id.clone()));
        assert_eq!(big.page_projected_frame(&every), Frame::empty(id));
        assert_eq!(
            big.frame_text().json().matches("\"n\"").count(),
            PAGE_ROWS + 1
        );
    }

    #[test]
    fn a_failed_refresh_keeps_the_rows_and_an_append_extends_either_form() {
        let p = as_batch(&frame(None));
        let failed = p.failed("timeout".into());
        assert_eq!((failed.seq, failed.error.as_deref()), (8, Some("timeout")));
        assert_eq!(failed.to_frame().rows, rows());
        let append = Append {
            dataset: p.dataset.clone(),
            seq: 8,
            drop: 1,
            rows: serde_json::from_value(json!([{"id": 4}])).unwrap(),
            updated_at_ms: 99,
        };
        for held in [p, Published::full(frame(None))] {
            let next = held.after(&append, "e".into()).unwrap();
            let mut expected = rows()[1..].to_vec();
            expected.extend(append.rows.clone());
            assert_eq!(next.to_frame().rows, expected);
            assert_eq!(next.append_event(), Some("e"));
            assert!(held
                .after(
                    &Append {
                        seq: 9,
                        ..append.clone()
                    },
                    "e".into()
                )
                .is_none());
        }
    }

    #[test]
    fn share_forms_of_a_batch_hold_only_the_bound_fields() {
        let full = frame(Some("db.internal:5432 refused the password"));
        let p = as_batch(&full);
        let projection = Projection::new(["id".to_string(), "missing".to_string()]);
        let forms = p.shared(&projection);
        let shared: LiveEvent = serde_json::from_str(forms.frame_event(&p)).unwrap();
        let mut expected = projection.frame(&full);
        expected.error = Some("source unavailable since 1970-01-01 00:00:01 UTC".into());
        assert_eq!(
            shared,
            LiveEvent::Frame {
                frame: expected.clone()
            }
        );
        assert_eq!(
            forms.frame_json(&p),
            serde_json::to_string(&expected).unwrap()
        );
        assert!(!forms.frame_json(&p).contains("db.internal"));
        assert_eq!(p.page_projected_frame(&projection), expected);
    }
}
