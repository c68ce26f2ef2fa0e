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
//!
//! The limits of the hyper path hold here too: the head must arrive within the header
//! timeout and fit in `MAX_HEAD`, its `Host` must be one of the server's own (see
//! `super::site`), the query is bounded before it is parsed, and a write blocked past
//! the write timeout drops the client.

use super::conn::Deadline;
use super::site::Refused;
use super::stream::{open_datasets, open_screen, open_share, read_query, resume_point, Refusal};
use super::stream::{LiveQuery, ResumeQuery, ScreenQuery, Viewer, CONTENT_TYPE};
use crate::startup::Core;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

/// The largest request head read: a full stream query (`MAX_QUERY_BYTES`) and headers.
const MAX_HEAD: usize = 64 * 1024;

type Socket = Deadline<TcpStream>;

/// Serves one stream request on `socket` (from `peer`), then closes it. The request
/// head must have arrived by `deadline` (the header timeout from when it connected).
pub async fn serve(core: Arc<Core>, mut socket: Socket, peer: SocketAddr, deadline: Instant) {
    let head = match tokio::time::timeout_at(deadline, read_head(&mut socket)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::Closed)) => return,
        Ok(Err(HeadError::TooLong)) => {
            let _ = write_refusal(&mut socket, Refusal::TooLong).await;
            return;
        }
        Ok(Err(HeadError::TooLarge)) => {
            let message = "the request headers are larger than 64 KiB";
            let _ = write_plain(&mut socket, "431 Request Header Fields Too Large", message).await;
            return;
        }
        // Too slow: drop it without a word, as hyper does.
        Err(_) => return,
    };
    let Some(head) = parse(&head) else {
        let _ = write_plain(&mut socket, "400 Bad Request", "not a live stream request").await;
        return;
    };
    if let Err(refused) = core.site.check_host(head.host.as_deref()) {
        let _ = write_host_refusal(&mut socket, &refused).await;
        return;
    }
    let client = core
        .config
        .trusted_proxies
        .client(peer.ip(), head.forwarded_for.as_deref());
    let opened = head.request.open(&core, client, &head.credentials).await;
    let mut viewer = match opened {
        Ok(viewer) => viewer,
        Err(refusal) => {
            let _ = write_refusal(&mut socket, refusal).await;
            return;
        }
    };
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {CONTENT_TYPE}\r\ncache-control: no-cache\r\n\
         x-accel-buffering: no\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n"
    );
    if socket.write_all(response.as_bytes()).await.is_err() {
        return;
    }
    let mut scratch = [0u8; 64];
    loop {
        tokio::select! {
            bytes = viewer.next_bytes() => {
                let Some(bytes) = bytes else { break };
                // A client that reads nothing fails this after the write timeout.
                if socket.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            // The client says nothing more; reading tells us at once when it leaves.
            ready = socket.get_ref().readable() => {
                if ready.is_err() {
                    return;
                }
                match socket.get_ref().try_read(&mut scratch) {
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

/// Why no request head was read.
enum HeadError {
    /// The connection ended or failed first.
    Closed,
    /// The request line alone is longer than `MAX_HEAD` (a huge query string).
    TooLong,
    /// The head is longer than `MAX_HEAD`.
    TooLarge,
}

/// Reads up to the end of the request head, at most `MAX_HEAD` bytes.
async fn read_head(socket: &mut Socket) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = socket
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if n == 0 {
            return Err(HeadError::Closed);
        }
        // Only the new bytes (and the three before them) can complete the terminator.
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(from + end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD {
            return Err(if head.windows(2).any(|w| w == b"\r\n") {
                HeadError::TooLarge
            } else {
                HeadError::TooLong
            });
        }
    }
}

/// A stream request's head: what it asks for, and the headers the server checks.
#[derive(Debug, PartialEq)]
struct Head {
    request: Request,
    host: Option<String>,
    forwarded_for: Option<String>,
    /// The `Cookie` and `Authorization` headers, for `auth::resolve`.
    credentials: axum::http::HeaderMap,
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
    /// A paired TV's stream (its device cookie is among `credentials`).
    Screen {
        query: String,
        last_event_id: Option<String>,
    },
}

impl Request {
    async fn open(
        self,
        core: &Arc<Core>,
        client: std::net::IpAddr,
        credentials: &axum::http::HeaderMap,
    ) -> Result<Viewer, Refusal> {
        match self {
            Request::Datasets {
                query,
                last_event_id,
            } => {
                // The same resolution as every other route (`auth::gate`).
                let caller = crate::auth::resolve(core, credentials)
                    .await?
                    .ok_or_else(app::error::AppError::unauthorized)?;
                let scope = caller.may(app::auth::Action::View)?;
                let q: LiveQuery = read_query(&query)?;
                let resume = resume_point(last_event_id.as_deref(), q.last_event_id.clone());
                let ends_on = crate::auth::revocation_keys(&caller, credentials);
                open_datasets(core, &scope, &q, ends_on, resume, Some(client)).await
            }
            Request::Share {
                token,
                query,
                last_event_id,
            } => {
                let q: ResumeQuery = read_query(&query)?;
                let resume = resume_point(last_event_id.as_deref(), q.last_event_id.clone());
                open_share(core, token, credentials, resume, Some(client)).await
            }
            Request::Screen {
                query,
                last_event_id,
            } => {
                let q: ScreenQuery = read_query(&query)?;
                let resume = resume_point(last_event_id.as_deref(), q.last_event_id.clone());
                open_screen(core, credentials, &q, resume, Some(client)).await
            }
        }
    }
}

/// Parses `GET /api/v1/live?… HTTP/1.1`, `GET /api/v1/live/share/{token}?…` or
/// `GET /api/v1/live/screen?…` and the
/// `Host`, `Last-Event-ID` and `X-Forwarded-For` headers; `None` for anything else.
fn parse(head: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method != "GET" || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    let (mut host, mut last_event_id, mut forwarded_for) = (None, None, None);
    let mut credentials = axum::http::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':')?;
        let lower = name.trim().to_ascii_lowercase();
        if lower == "cookie" || lower == "authorization" {
            let name = axum::http::HeaderName::from_bytes(lower.as_bytes()).ok()?;
            let header = axum::http::HeaderValue::from_str(value.trim()).ok()?;
            credentials.append(name, header);
            continue;
        }
        let value = Some(value.trim().to_string());
        match lower.as_str() {
            // Two `Host` headers make the request invalid (RFC 9112).
            "host" if host.is_some() => return None,
            "host" => host = value,
            "last-event-id" => last_event_id = value,
            "x-forwarded-for" => forwarded_for = value,
            _ => {}
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query = query.to_string();
    let request = if path == "/api/v1/live" {
        Request::Datasets {
            query,
            last_event_id,
        }
    } else if path == "/api/v1/live/screen" {
        Request::Screen {
            query,
            last_event_id,
        }
    } else {
        let token = path.strip_prefix("/api/v1/live/share/")?;
        if token.is_empty() || token.contains('/') {
            return None;
        }
        Request::Share {
            token: token.to_string(),
            query,
            last_event_id,
        }
    };
    Some(Head {
        request,
        host,
        forwarded_for,
        credentials,
    })
}

async fn write_plain(socket: &mut Socket, status: &str, body: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n\
         x-content-type-options: nosniff\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(response.as_bytes()).await?;
    close_after_answer(socket).await
}

/// Most a refused client may still send, and for how long, before the socket closes.
const LINGER_BYTES: usize = 1 << 20;
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// Ends the answer, then reads (and drops) what the client is still sending, for a
/// moment: closing with unread bytes would reset the connection, and the client could
/// lose the answer before reading it.
async fn close_after_answer(socket: &mut Socket) -> std::io::Result<()> {
    socket.shutdown().await?;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    let _ = tokio::time::timeout(LINGER, async {
        while drained < LINGER_BYTES {
            match socket.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
    Ok(())
}

async fn write_host_refusal(socket: &mut Socket, refused: &Refused) -> std::io::Result<()> {
    let (status, message) = refused.status_and_message();
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    write_plain(socket, &format!("{status} {reason}"), &message).await
}

async fn write_refusal(socket: &mut Socket, refusal: Refusal) -> std::io::Result<()> {
    let (status, body, retry_after) = refusal.parts();
    let mut response = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\nx-content-type-options: nosniff\r\n\
         content-length: {}\r\nconnection: close\r\n",
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
    close_after_answer(socket).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_requests_are_recognized_with_their_host_and_resume_point() {
        let head =
            b"GET /api/v1/live?datasets=a,b HTTP/1.1\r\nHost: x:3000\r\nLast-Event-ID: 3.4\r\n\
                     X-Forwarded-For: 203.0.113.9";
        assert_eq!(
            parse(head),
            Some(Head {
                request: Request::Datasets {
                    query: "datasets=a,b".into(),
                    last_event_id: Some("3.4".into())
                },
                host: Some("x:3000".into()),
                forwarded_for: Some("203.0.113.9".into()),
                credentials: Default::default(),
            })
        );
        assert_eq!(
            parse(b"GET /api/v1/live/share/tok?last_event_id=2 HTTP/1.1\r\nHOST: x")
                .map(|h| (h.request, h.host)),
            Some((
                Request::Share {
                    token: "tok".into(),
                    query: "last_event_id=2".into(),
                    last_event_id: None
                },
                Some("x".into())
            ))
        );
        assert_eq!(
            parse(b"GET /api/v1/live HTTP/1.1").map(|h| h.host),
            Some(None),
            "a missing Host is left to the host check"
        );
    }

    #[test]
    fn credentials_are_kept_for_the_caller() {
        let head = parse(
            b"GET /api/v1/live HTTP/1.1\r\nHost: x\r\nCookie: wb_session=abc\r\n\
                          Authorization: Bearer wba_x",
        )
        .unwrap();
        assert_eq!(
            crate::auth::cookie(&head.credentials, crate::auth::SESSION_COOKIE),
            Some("abc")
        );
        assert_eq!(head.credentials.len(), 2);
    }

    #[test]
    fn anything_else_is_not_a_stream_request() {
        assert_eq!(parse(b"POST /api/v1/live HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/liveX HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/live/share/ HTTP/1.1"), None);
        assert!(matches!(
            parse(b"GET /api/v1/live/screen?w=1 HTTP/1.1\r\nHost: x").map(|h| h.request),
            Some(Request::Screen { .. })
        ));
        assert_eq!(parse(b"GET /api/v1/live/share/a/b HTTP/1.1"), None);
        assert_eq!(parse(b"GET /api/v1/live"), None);
        assert_eq!(parse(&[0xff, 0xfe]), None);
        assert_eq!(
            parse(b"GET /api/v1/live HTTP/1.1\r\nHost: a\r\nHost: b"),
            None,
            "two hosts"
        );
        assert_eq!(parse(b"GET /api/v1/live HTTP/1.1\r\nno colon"), None);
    }
}
