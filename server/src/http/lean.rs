//! The lean stream transport: a connection whose first request is a live stream is
//! served straight on its socket instead of through hyper and axum.
//!
//! A stream holds its connection for hours and never gives it back for another
//! request, so the general HTTP machinery's per-connection buffers (a 16 KB read
//! buffer and an 8 KB write buffer in hyper, kept for the connection's life) are the
//! bulk of what an idle viewer costs. Here the request head is read into a short-lived
//! buffer, answered with a close-delimited `text/event-stream` body (valid HTTP/1.1:
//! `Connection: close`, no length), and the same [`Viewer`] as the axum route writes
//! its events. Every other connection — and a stream requested on a connection that
//! already served something else — goes to hyper and axum as usual.

use super::stream::{open_datasets, open_share, resume_point, LiveQuery, Refusal, ResumeQuery};
use super::stream::{Viewer, CONTENT_TYPE};
use crate::startup::Core;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What every lean stream request starts with.
const PREFIX: &[u8] = b"GET /api/v1/live";
/// The largest request head read.
const MAX_HEAD: usize = 8 * 1024;
/// How long a new connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `socket`'s first request is a live stream; `None` if the client sent
/// nothing in time (the connection is then dropped).
pub async fn is_stream(socket: &TcpStream) -> Option<bool> {
    let deadline = tokio::time::Instant::now() + HEAD_TIMEOUT;
    let mut peeked = [0u8; PREFIX.len()];
    loop {
        let n = tokio::time::timeout_at(deadline, socket.peek(&mut peeked))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        if !PREFIX.starts_with(&peeked[..n.min(PREFIX.len())]) {
            return Some(false);
        }
        if n >= PREFIX.len() {
            return Some(true);
        }
        // A prefix of a stream request arrived in pieces: wait for the rest.
        tokio::time::sleep(Duration::from_millis(5)).await;
        if tokio::time::Instant::now() > deadline {
            return None;
        }
    }
}

/// Serves one stream request on `socket`, then closes it.
pub async fn serve(core: Arc<Core>, mut socket: TcpStream) {
    let head = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut socket)).await {
        Ok(Ok(head)) => head,
        Ok(Err(status)) => {
            let _ = write_plain(&mut socket, status).await;
            return;
        }
        Err(_) => return,
    };
    let opened = match parse(&head) {
        Some(request) => request.open(&core).await,
        None => {
            let _ = write_plain(&mut socket, "400 Bad Request").await;
            return;
        }
    };
    drop(head);
    let mut viewer = match opened {
        Ok(viewer) => viewer,
        Err(refusal) => {
            let _ = write_refusal(&mut socket, refusal).await;
            return;
        }
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {CONTENT_TYPE}\r\ncache-control: no-cache\r\n\
         x-accel-buffering: no\r\nconnection: close\r\n\r\n"
    );
    if socket.write_all(response.as_bytes()).await.is_err() {
        return;
    }
    let mut scratch = [0u8; 64];
    loop {
        tokio::select! {
            bytes = viewer.next_bytes() => {
                let Some(bytes) = bytes else { break };
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            // The client says nothing more; reading tells us at once when it leaves.
            ready = socket.readable() => {
                if ready.is_err() {
                    return;
                }
                match socket.try_read(&mut scratch) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => return,
                }
            }
        }
    }
    let _ = socket.shutdown().await;
}

/// Reads up to the end of the request head; `Err(status line)` if it is too large or
/// the connection ends first.
async fn read_head(socket: &mut TcpStream) -> Result<Vec<u8>, &'static str> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = socket
            .read(&mut chunk)
            .await
            .map_err(|_| "400 Bad Request")?;
        if n == 0 {
            return Err("400 Bad Request");
        }
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err("431 Request Header Fields Too Large");
        }
    }
}

/// A parsed stream request.
#[derive(Debug, PartialEq)]
enum Request {
    Datasets {
        query: String,
        last_event_id: Option<String>,
    },
    Share {
        token: String,
        query: String,
        last_event_id: Option<String>,
    },
}

impl Request {
    async fn open(self, core: &Arc<Core>) -> Result<Viewer, Refusal> {
        let invalid = |e: serde_urlencoded::de::Error| {
            Refusal::App(app::error::AppError::Invalid {
                field: "query".into(),
                message: e.to_string(),
            })
        };
        match self {
            Request::Datasets {
                query,
                last_event_id,
            } => {
                let q: LiveQuery = serde_urlencoded::from_str(&query).map_err(invalid)?;
                let resume = resume_point(last_event_id.as_deref(), q.last_event_id);
                open_datasets(core, &q.datasets, resume).await
            }
            Request::Share {
                token,
                query,
                last_event_id,
            } => {
                let q: ResumeQuery = serde_urlencoded::from_str(&query).map_err(invalid)?;
                let resume = resume_point(last_event_id.as_deref(), q.last_event_id);
                open_share(core, token, resume).await
            }
        }
    }
}

/// Parses `GET /api/v1/live?… HTTP/1.1` or `GET /api/v1/live/share/{token}?…` and the
/// `Last-Event-ID` header; `None` for anything else.
fn parse(head: &[u8]) -> Option<Request> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method != "GET" || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    let last_event_id = lines.find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("last-event-id")
            .then(|| value.trim().to_string())
    });
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query.to_string();
    if path == "/api/v1/live" {
        return Some(Request::Datasets {
            query,
            last_event_id,
        });
    }
    let token = path.strip_prefix("/api/v1/live/share/")?;
    if token.is_empty() || token.contains('/') {
        return None;
    }
    Some(Request::Share {
        token: token.to_string(),
        query,
        last_event_id,
    })
}

async fn write_plain(socket: &mut TcpStream, status: &str) -> std::io::Result<()> {
    let response = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    socket.write_all(response.as_bytes()).await
}

async fn write_refusal(socket: &mut TcpStream, refusal: Refusal) -> std::io::Result<()> {
    let (status, body, retry_after) = refusal.parts();
    let mut response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    );
    if let Some(secs) = retry_after {
        response.push_str(&format!("retry-after: {secs}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    socket.write_all(response.as_bytes()).await?;
    socket.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_requests_are_recognized_with_their_resume_point() {
        let head = b"GET /api/v1/live?datasets=a,b HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 3.4";
        assert_eq!(
            parse(head),
            Some(Request::Datasets {
                query: "datasets=a,b".into(),
                last_event_id: Some("3.4".into())
            })
        );
        assert_eq!(
            parse(b"GET /api/v1/live/share/tok?last_event_id=2 HTTP/1.1\r\nHost: x"),
            Some(Request::Share {
                token: "tok".into(),
                query: "last_event_id=2".into(),
                last_event_id: None
            })
        );
    }

    #[test]
    fn anything_else_is_not_a_stream_request() {
        assert_eq!(parse(b"POST /api/v1/live HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/liveX HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/live/share/ HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/live/share/a/b HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/live"), None);
        assert_eq!(parse(&[0xff, 0xfe]), None);
    }
}
