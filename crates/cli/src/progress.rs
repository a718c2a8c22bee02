//! The terminal progress line: block, blocks/s, handler calls and ETA.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sprig_indexer::Progress;

/// A progress bar over blocks; draws nothing when stderr is not a terminal, where it logs a line
/// every few seconds instead.
pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    first_block: Option<u64>,
    last_log: Instant,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} block {pos}/{len} [{bar:30}] {msg} ETA {eta}")
                .expect("static template is valid")
                .progress_chars("=> "),
        );
        Bar {
            bar,
            started: Instant::now(),
            first_block: None,
            last_log: Instant::now(),
        }
    }

    pub fn update(&mut self, p: &Progress) {
        let first = *self
            .first_block
            .get_or_insert(p.block.saturating_sub(p.blocks));
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = (p.block.saturating_sub(first)) as f64 / elapsed;
        self.bar.set_length(p.target);
        self.bar.set_position(p.block);
        let msg = format!("{rate:.0} blocks/s, {} handler calls", p.handler_calls);
        self.bar.set_message(msg.clone());
        if self.bar.is_hidden() && self.last_log.elapsed() > Duration::from_secs(5) {
            self.last_log = Instant::now();
            eprintln!("block {}/{}: {msg}", p.block, p.target);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
