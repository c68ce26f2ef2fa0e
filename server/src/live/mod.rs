//! The live hub: this instance's fan-out of dataset frames to its viewers.
//!
//! Each dataset has one `watch` channel holding its latest frame, serialized once when
//! published. Publishing replaces the value; every viewer stream reads the newest value
//! when it is ready for it, so a slow viewer skips intermediate frames (latest wins),
//! costs no memory beyond one frame per dataset, and never delays anyone else.

use app::model::{DatasetId, Frame};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// A frame and its JSON, made once per publish and shared by every viewer.
#[derive(Debug)]
pub struct Published {
    pub frame: Frame,
    pub json: String,
}

impl Published {
    pub fn new(frame: Frame) -> Self {
        let json = serde_json::to_string(&frame).expect("a frame serializes");
        Self { frame, json }
    }
}

pub type FrameReceiver = watch::Receiver<Option<Arc<Published>>>;

#[derive(Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<DatasetId, watch::Sender<Option<Arc<Published>>>>>,
}

impl LiveHub {
    pub fn new() -> Self {
        Self::default()
    }

    fn channel(&self, id: &DatasetId) -> watch::Sender<Option<Arc<Published>>> {
        let mut channels = self.channels.lock().expect("live hub lock");
        channels
            .entry(id.clone())
            .or_insert_with(|| watch::channel(None).0)
            .clone()
    }

    /// Makes `frame` the latest of its dataset and wakes its viewers.
    pub fn publish(&self, frame: Frame) {
        let id = frame.dataset.clone();
        self.channel(&id)
            .send_replace(Some(Arc::new(Published::new(frame))));
    }

    /// The latest frame of `id`, if any was published.
    pub fn latest(&self, id: &DatasetId) -> Option<Arc<Published>> {
        let channels = self.channels.lock().expect("live hub lock");
        channels.get(id).and_then(|tx| tx.borrow().clone())
    }

    /// A receiver that sees every later frame of `id` (the newest one when it looks).
    pub fn subscribe(&self, id: &DatasetId) -> FrameReceiver {
        self.channel(id).subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: u64) -> Frame {
        Frame {
            seq,
            ..Frame::empty(DatasetId::parse("d").unwrap())
        }
    }

    #[tokio::test]
    async fn a_subscriber_sees_the_next_frame() {
        let hub = LiveHub::new();
        let id = DatasetId::parse("d").unwrap();
        let mut rx = hub.subscribe(&id);
        hub.publish(frame(1));
        rx.changed().await.unwrap();
        assert_eq!(rx.borrow().as_ref().unwrap().frame.seq, 1);
        assert_eq!(hub.latest(&id).unwrap().frame.seq, 1);
    }

    #[tokio::test]
    async fn a_slow_subscriber_gets_only_the_latest_frame() {
        let hub = LiveHub::new();
        let id = DatasetId::parse("d").unwrap();
        let mut rx = hub.subscribe(&id);
        for seq in 1..=1000 {
            hub.publish(frame(seq));
        }
        rx.changed().await.unwrap();
        assert_eq!(rx.borrow_and_update().as_ref().unwrap().frame.seq, 1000);
        assert!(!rx.has_changed().unwrap());
    }

    #[test]
    fn the_published_json_is_the_frame() {
        let p = Published::new(frame(7));
        assert_eq!(serde_json::from_str::<Frame>(&p.json).unwrap(), frame(7));
    }
}
