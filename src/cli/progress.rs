//! The progress line on a terminal's stderr while a scan runs: a spinner
//! with files, MiB and elapsed time for file scans, a spinner over the
//! commits and then one bar over the blobs (its total known before it
//! counts) for history scans. Cleared when the scan ends.

use crate::scan::progress::{Phase, Progress, Snapshot};
use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);

/// A progress line being drawn; stops and clears when dropped.
pub(crate) struct Display {
    stop: Option<mpsc::Sender<()>>,
    drawer: Option<std::thread::JoinHandle<()>>,
}

impl Display {
    /// Starts drawing `progress` on stderr (when there is one to draw).
    pub(crate) fn start(progress: Option<&Arc<Progress>>) -> Display {
        let Some(progress) = progress.cloned() else {
            return Display {
                stop: None,
                drawer: None,
            };
        };
        let (stop, stopped) = mpsc::channel();
        let drawer = std::thread::spawn(move || draw(&progress, &stopped));
        Display {
            stop: Some(stop),
            drawer: Some(drawer),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(d) = self.drawer.take() {
            let _ = d.join();
        }
    }
}

fn draw(progress: &Progress, stopped: &mpsc::Receiver<()>) {
    let bar = ProgressBar::new_spinner().with_style(spinner());
    let mut phase = None;
    loop {
        update(&bar, &mut phase, &progress.snapshot());
        bar.tick();
        match stopped.recv_timeout(TICK) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => break,
        }
    }
    // The final counts are drawn once, however short the scan, then cleared.
    update(&bar, &mut phase, &progress.snapshot());
    bar.finish();
    bar.finish_and_clear();
}

fn update(bar: &ProgressBar, phase: &mut Option<Phase>, now: &Snapshot) {
    if *phase != Some(now.phase) {
        *phase = Some(now.phase);
        if let Some(total) = now.total {
            // The length first: the bar never counts against an unknown total.
            bar.set_length(total);
            bar.set_position(0);
            bar.set_style(blob_bar());
        }
    }
    bar.set_message(message(now));
    if let Some(total) = now.total {
        bar.set_position(now.done.min(total));
    }
}

fn message(s: &Snapshot) -> String {
    let mib = s.bytes as f64 / (1024.0 * 1024.0);
    match s.phase {
        Phase::Files => format!("scanning: {} files, {mib:.1} MiB", s.done),
        Phase::Commits => format!("walking history: {} commits", s.done),
        Phase::Blobs => format!("blobs, {mib:.1} MiB"),
    }
}

fn spinner() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid progress template")
}

fn blob_bar() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner} scanning history: {pos}/{len} {msg} {wide_bar} {elapsed}",
    )
    .expect("valid progress template")
}
