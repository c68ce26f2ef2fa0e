//! The limits on one connection: what a new connection speaks must show within the
//! header timeout ([`sniff`]), and a write may stay blocked only so long ([`Deadline`]),
//! so a client that sends half a request, or reads nothing, is dropped instead of
//! holding a task, a stream slot and its buffers for ever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// What every lean stream request starts with.
pub const STREAM_PREFIX: &[u8] = b"GET /api/v1/live";
/// What every HTTP/2 connection (with prior knowledge) starts with.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Once the server is stopping, how long a blocked write may still wait.
const STOPPING_WRITE: Duration = Duration::from_secs(1);

/// What a new connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Its first request is a live stream (served by `super::lean`).
    LeanStream,
    Http1,
    Http2,
}

/// Classifies bytes a connection opened with; `None` while they could still be the
/// start of more than one kind.
fn classify(bytes: &[u8]) -> Option<Kind> {
    let could_be = |prefix: &[u8]| prefix.starts_with(&bytes[..bytes.len().min(prefix.len())]);
    match (could_be(STREAM_PREFIX), could_be(H2_PREFACE)) {
        (true, _) if bytes.len() >= STREAM_PREFIX.len() => Some(Kind::LeanStream),
        (_, true) if bytes.len() >= H2_PREFACE.len() => Some(Kind::Http2),
        (false, false) => Some(Kind::Http1),
        _ => None,
    }
}

/// Peeks at what `socket` opens with until its kind is plain; `None` if the client
/// sends too little before `deadline`, or closes (the connection is then dropped).
pub async fn sniff(socket: &TcpStream, deadline: Instant) -> Option<Kind> {
    let mut peeked = [0u8; H2_PREFACE.len()];
    let mut pause = Duration::from_millis(2);
    loop {
        let n = tokio::time::timeout_at(deadline, socket.peek(&mut peeked))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        if let Some(kind) = classify(&peeked[..n]) {
            return Some(kind);
        }
        // The opening bytes arrived in pieces; peeking again at once would see the same
        // ones, so wait a little (longer each time) for the rest.
        if Instant::now() + pause > deadline {
            return None;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

type Timer = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An I/O stream whose writes fail with `TimedOut` once one has been blocked for
/// `limit` (the client reads nothing), or for a second once the server is stopping.
pub struct Deadline<T> {
    io: T,
    limit: Duration,
    stopping: watch::Receiver<bool>,
    /// Armed while a write is blocked.
    timer: Option<Timer>,
}

impl<T> Deadline<T> {
    pub fn new(io: T, limit: Duration, stopping: watch::Receiver<bool>) -> Self {
        Self {
            io,
            limit,
            stopping,
            timer: None,
        }
    }

    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// Turns a pending write into an error once the deadline has passed.
    fn blocked(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timer = self.timer.get_or_insert_with(|| {
            let limit = self.limit;
            let mut stopping = self.stopping.clone();
            Box::pin(async move {
                let stop = async {
                    if stopping.wait_for(|s| *s).await.is_ok() {
                        tokio::time::sleep(STOPPING_WRITE).await;
                    } else {
                        std::future::pending::<()>().await;
                    }
                };
                tokio::select! {
                    () = tokio::time::sleep(limit) => {}
                    () = stop => {}
                }
            })
        });
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client has read nothing for the write timeout",
            )),
            Poll::Pending => Poll::Pending,
        }
    }

    fn bounded<R>(
        &mut self,
        cx: &mut Context<'_>,
        result: Poll<io::Result<R>>,
    ) -> Poll<io::Result<R>> {
        match result {
            Poll::Ready(r) => {
                self.timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.blocked(cx).map(Err),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Deadline<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Deadline<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_write(cx, buf);
        this.bounded(cx, result)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.bounded(cx, result)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_flush(cx);
        this.bounded(cx, result)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let result = Pin::new(&mut this.io).poll_shutdown(cx);
        this.bounded(cx, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn a_connection_is_known_by_its_first_bytes() {
        assert_eq!(
            classify(b"GET /api/v1/live?datasets=a"),
            Some(Kind::LeanStream)
        );
        assert_eq!(
            classify(b"GET /api/v1/live/share/t"),
            Some(Kind::LeanStream)
        );
        assert_eq!(classify(b"GET / HTTP/1.1"), Some(Kind::Http1));
        assert_eq!(classify(b"POST /api/fn/x"), Some(Kind::Http1));
        assert_eq!(classify(H2_PREFACE), Some(Kind::Http2));
        // Could still be a stream, or HTTP/2: wait for more.
        assert_eq!(classify(b"GET /api"), None);
        assert_eq!(classify(b"P"), None);
        assert_eq!(classify(b"PRI * HTTP/2"), None);
    }

    #[tokio::test]
    async fn a_write_that_stays_blocked_fails_after_the_limit() {
        // A duplex pipe with a 64-byte buffer that nobody reads.
        let (client, _unread) = tokio::io::duplex(64);
        let (_tx, stopping) = watch::channel(false);
        let mut io = Deadline::new(client, Duration::from_millis(50), stopping);
        let err = io.write_all(&[0u8; 4096]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test]
    async fn a_blocked_write_gives_up_soon_after_the_server_starts_stopping() {
        let (client, _unread) = tokio::io::duplex(64);
        let (tx, stopping) = watch::channel(false);
        let mut io = Deadline::new(client, Duration::from_secs(3600), stopping);
        let write = tokio::spawn(async move { io.write_all(&[0u8; 4096]).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.send_replace(true);
        let result = tokio::time::timeout(Duration::from_secs(30), write)
            .await
            .expect("the write ends without waiting out its hour")
            .unwrap();
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }
}
