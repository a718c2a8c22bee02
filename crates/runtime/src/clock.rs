//! The wall-clock guard of a handler: a non-deterministic limit on how long it may run.
//!
//! The engine's epoch is advanced by a ticker thread (see `runtime`); at each tick wasm code
//! checks in with the store, whose callback asks [`HandlerClock::expired`]. The clock counts
//! time spent in wasm and in host computation, but pauses while the host waits on I/O for the
//! mapping (an `ethereum.call` waiting on RPC): a slow node must not make a mapping's own time
//! run out. Pausing goes through a [`PauseGuard`], so an error or a panic during the wait can
//! never leave the clock stopped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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
