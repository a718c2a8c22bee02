//! The wall-clock guard of a handler: a non-deterministic limit on how long it may run.
//!
//! The clock is checked each time the handler's future is polled ([`HandlerClock::guard`]):
//! wasm yields to the executor every `FUEL_YIELD_INTERVAL` units of fuel (about 0.1 ms of
//! wasm), and a host function's I/O wakes it when done. That costs nothing measurable, where
//! epoch interruption (an epoch check compiled into every function entry and loop header, a
//! ticker thread) made CPU-bound wasm 15-20% slower (NOTES.md). The clock counts
//! time spent in wasm and in host computation, but pauses while the host waits on I/O for the
//! mapping (an `ethereum.call` waiting on RPC): a slow node must not make a mapping's own time
//! run out. Pausing goes through a [`PauseGuard`], so an error or a panic during the wait can
//! never leave the clock stopped.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::error::HostError;

/// Measures the time a handler runs, minus the time it waits on I/O.
#[derive(Debug)]
pub(crate) struct HandlerClock {
    limit: Duration,
    started: Instant,
    paused: Mutex<Paused>,
}

#[derive(Debug, Default)]
struct Paused {
    /// Time spent in finished pauses.
    total: Duration,
    /// When the current pause began, and how many guards hold it.
    current: Option<(Instant, u32)>,
}

impl HandlerClock {
    /// Starts a clock that expires after `limit` of running time.
    pub fn start(limit: Duration) -> Arc<HandlerClock> {
        Arc::new(HandlerClock {
            limit,
            started: Instant::now(),
            paused: Mutex::new(Paused::default()),
        })
    }

    /// Running time so far: elapsed time minus pauses (including one in progress).
    pub fn running(&self) -> Duration {
        let now = Instant::now();
        let paused = self.paused.lock().unwrap_or_else(PoisonError::into_inner);
        let in_pause = paused
            .current
            .map_or(Duration::ZERO, |(since, _)| now - since);
        (now - self.started).saturating_sub(paused.total + in_pause)
    }

    /// Whether the handler has run longer than the limit.
    pub fn expired(&self) -> bool {
        self.running() > self.limit
    }

    /// Runs `future` (a handler's run) until it completes or the clock expires, checking the
    /// clock every time it is polled. On expiry the future is dropped, which cancels the wasm
    /// it was running, and the result is a non-deterministic timeout error.
    pub async fn guard<F>(&self, mut future: Pin<&mut F>) -> wasmtime::Result<()>
    where
        F: Future<Output = wasmtime::Result<()>>,
    {
        std::future::poll_fn(|cx| {
            if self.expired() {
                let timeout = anyhow::anyhow!("the handler hit the timeout of {:?}", self.limit);
                return Poll::Ready(Err(HostError::non_deterministic(timeout).into()));
            }
            future.as_mut().poll(cx)
        })
        .await
    }

    /// Stops the clock until the returned guard is dropped. Pauses may nest.
    pub fn pause(self: &Arc<HandlerClock>) -> PauseGuard {
        let mut paused = self.paused.lock().unwrap_or_else(PoisonError::into_inner);
        paused.current = match paused.current {
            None => Some((Instant::now(), 1)),
            Some((since, depth)) => Some((since, depth + 1)),
        };
        PauseGuard {
            clock: Arc::clone(self),
        }
    }
}

/// Keeps a [`HandlerClock`] paused while alive.
#[must_use = "the clock runs again as soon as the guard is dropped"]
pub(crate) struct PauseGuard {
    clock: Arc<HandlerClock>,
}

impl Drop for PauseGuard {
    fn drop(&mut self) {
        let mut paused = self
            .clock
            .paused
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match paused.current {
            Some((since, 1)) => {
                paused.total += since.elapsed();
                paused.current = None;
            }
            Some((since, depth)) => paused.current = Some((since, depth - 1)),
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_do_not_count() {
        let clock = HandlerClock::start(Duration::from_millis(50));
        {
            let _outer = clock.pause();
            let _inner = clock.pause();
            std::thread::sleep(Duration::from_millis(80));
        }
        assert!(
            !clock.expired(),
            "paused time counted: {:?}",
            clock.running()
        );
        std::thread::sleep(Duration::from_millis(60));
        assert!(clock.expired());
    }
}
