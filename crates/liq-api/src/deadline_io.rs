//! A connection's read and write deadlines with lazily re-armed timers: a read that makes no
//! progress for `read` (an idle keep-alive connection, a request that never finishes) or a
//! write that makes no progress for `write` (a client that never reads) fails with `TimedOut`.
//!
//! Unlike a timer reset on every read and write (a timer-wheel operation per I/O call), each
//! direction keeps one timer per connection; it is armed once and, when it fires, checks the
//! real deadline (the start of the current wait plus the timeout) and re-arms at most once.
//! Under load the timers therefore cost a clock read per wait, not a wheel update.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep_until};

pin_project! {
    /// `S` with a read and a write deadline.
    pub struct DeadlineIo<S> {
        #[pin]
        inner: S,
        read: Direction,
        write: Direction,
        #[pin]
        read_timer: Sleep,
        #[pin]
        write_timer: Sleep,
    }
}

/// One direction's timeout and current wait.
#[derive(Debug, Clone, Copy)]
struct Direction {
    timeout: Duration,
    /// When the current wait began (`None`: the last call made progress).
    since: Option<Instant>,
    /// Whether the timer is registered.
    armed: bool,
}

impl Direction {
    fn new(timeout: Duration) -> Self {
        Direction {
            timeout,
            since: None,
            armed: false,
        }
    }
}

impl<S> DeadlineIo<S> {
    /// Wraps `inner`: reads time out after `read` without progress, writes after `write`.
    pub fn new(inner: S, read: Duration, write: Duration) -> Self {
        let far = Instant::now() + Duration::from_secs(86_400 * 365);
        DeadlineIo {
            inner,
            read: Direction::new(read),
            write: Direction::new(write),
            read_timer: sleep_until(far),
            write_timer: sleep_until(far),
        }
    }
}

/// Progress: the wait is over. Pending: the wait's deadline is checked (and the timer re-armed
/// at most once when it fired early for an older wait).
fn check<T>(
    d: &mut Direction,
    mut timer: Pin<&mut Sleep>,
    cx: &mut Context<'_>,
    r: Poll<io::Result<T>>,
) -> Poll<io::Result<T>> {
    if r.is_ready() {
        d.since = None;
        return r;
    }
    let deadline = *d.since.get_or_insert_with(Instant::now) + d.timeout;
    if !d.armed {
        timer.as_mut().reset(deadline);
        d.armed = true;
    }
    loop {
        match timer.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) => {
                if Instant::now() >= deadline {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no progress before the deadline",
                    )));
                }
                timer.as_mut().reset(deadline);
            }
        }
    }
}

use std::future::Future as _;

impl<S: AsyncRead> AsyncRead for DeadlineIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let r = this.inner.poll_read(cx, buf);
        check(this.read, this.read_timer, cx, r)
    }
}

impl<S: AsyncWrite> AsyncWrite for DeadlineIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let r = this.inner.poll_write(cx, buf);
        check(this.write, this.write_timer, cx, r)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let r = this.inner.poll_write_vectored(cx, bufs);
        check(this.write, this.write_timer, cx, r)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let r = this.inner.poll_flush(cx);
        check(this.write, this.write_timer, cx, r)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.project();
        let r = this.inner.poll_shutdown(cx);
        check(this.write, this.write_timer, cx, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_times_out_and_a_talking_one_does_not() {
        let (a, mut b) = tokio::io::duplex(64);
        let mut io = Box::pin(DeadlineIo::new(
            a,
            Duration::from_secs(5),
            Duration::from_secs(5),
        ));
        let mut buf = [0u8; 8];
        // Data every 3 s: each read waits less than the timeout.
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_secs(3)).await;
            b.write_all(b"x").await.unwrap();
            assert_eq!(io.read(&mut buf).await.unwrap(), 1);
        }
        // Then silence: the read fails after 5 s.
        let started = Instant::now();
        let e = io.read(&mut buf).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_secs(5));
        assert!(started.elapsed() < Duration::from_secs(6));
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_never_reads_times_out_the_write() {
        let (a, _b) = tokio::io::duplex(16);
        let mut io = Box::pin(DeadlineIo::new(
            a,
            Duration::from_secs(60),
            Duration::from_secs(2),
        ));
        let e = io.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
    }
}
