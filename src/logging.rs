//! The server's log: one line a request and the events around it, written in batches.
//!
//! A busy help site logs tens of thousands of requests a second. Handing each line to the
//! operating system (or to a writer thread, a line at a time) costs more than rendering the page
//! it describes, so each thread collects its lines in a buffer of its own and writes them out
//! together: when the buffer is full, and every [`FLUSH_EVERY`] from a small flusher thread, so a
//! quiet server's lines still appear at once to a person watching. Warnings and errors skip the
//! buffers and are written at once, after what is buffered.
//!
//! What a crash can lose: the lines of the last [`FLUSH_EVERY`], never a warning or an error.
//! `bench/run` measures the price of the whole log against `RUST_LOG=warn` (docs/BENCHMARKS.md).

use std::cell::RefCell;
use std::io::{self, IsTerminal, Stdout, Write, stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

mod line;

/// A thread's buffer is written out when it holds this much: about 250 request lines.
const FLUSH_AT: usize = 32 * 1024;
/// The longest a line waits in a buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

/// Sets up the log for `serve`: standard output, at `RUST_LOG`'s level (`info` if it is unset or
/// unreadable). Keep the guard until the server stops: dropping it writes out what is buffered.
pub fn init() -> LogGuard {
    let flusher = thread::Builder::new()
        .name("helpdesk-log".into())
        .spawn(|| {
            loop {
                thread::park_timeout(FLUSH_EVERY);
                if log().stopping.load(Ordering::Relaxed) {
                    break;
                }
                log().flush_all();
            }
        })
        .ok();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(Lines)
        // Colours only for a person watching a terminal, never into a log file or the journal.
        .with_ansi(stdout().is_terminal())
        .event_format(line::LineFormat::default())
        .init();
    LogGuard { flusher }
}

/// Writes out the buffered lines when dropped, at the end of `serve`.
#[derive(Debug)]
pub struct LogGuard {
    flusher: Option<thread::JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        log().stopping.store(true, Ordering::Relaxed);
        if let Some(flusher) = self.flusher.take() {
            flusher.thread().unpark();
            let _ = flusher.join();
        }
        log().flush_all();
    }
}

/// The process's log: where the lines go and every thread's buffer.
struct Log {
    out: Mutex<Stdout>,
    buffers: Mutex<Vec<Arc<Mutex<Vec<u8>>>>>,
    stopping: AtomicBool,
}

fn log() -> &'static Log {
    static LOG: OnceLock<Log> = OnceLock::new();
    LOG.get_or_init(|| Log {
        out: Mutex::new(stdout()),
        buffers: Mutex::new(Vec::new()),
        stopping: AtomicBool::new(false),
    })
}

/// A lock that outlives a panic elsewhere: a log line is never worth a second panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Log {
    /// Writes `lines` out, whole.
    fn write(&self, lines: &[u8]) {
        if lines.is_empty() {
            return;
        }
        let mut out = lock(&self.out);
        // A log that cannot be written (a closed pipe) must not stop the help site.
        let _ = out.write_all(lines).and_then(|()| out.flush());
    }

    /// Writes out every thread's buffered lines.
    fn flush_all(&self) {
        let buffers = lock(&self.buffers).clone();
        for buffer in buffers {
            let lines = std::mem::take(&mut *lock(&buffer));
            self.write(&lines);
        }
    }
}

/// This thread's buffer, registered with the log so the flusher reaches it; a thread that ends
/// writes out its lines and leaves the list.
struct ThreadBuffer(Arc<Mutex<Vec<u8>>>);

impl ThreadBuffer {
    fn new() -> ThreadBuffer {
        let buffer = Arc::new(Mutex::new(Vec::with_capacity(FLUSH_AT)));
        lock(&log().buffers).push(buffer.clone());
        ThreadBuffer(buffer)
    }
}

impl Drop for ThreadBuffer {
    fn drop(&mut self) {
        let lines = std::mem::take(&mut *lock(&self.0));
        log().write(&lines);
        lock(&log().buffers).retain(|b| !Arc::ptr_eq(b, &self.0));
    }
}

thread_local! {
    static BUFFER: RefCell<Option<ThreadBuffer>> = const { RefCell::new(None) };
}

/// What the formatter writes each line to: the thread's buffer, or at once for a warning or
/// an error.
#[derive(Debug, Clone, Copy)]
struct Lines;

/// One line on its way out.
#[derive(Debug, Clone, Copy)]
enum Line {
    Buffered,
    AtOnce,
}

impl<'a> MakeWriter<'a> for Lines {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line::Buffered
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        if *meta.level() <= Level::WARN {
            Line::AtOnce
        } else {
            Line::Buffered
        }
    }
}

impl Write for Line {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        match self {
            Line::AtOnce => {
                log().flush_all();
                log().write(line);
            }
            Line::Buffered => {
                let full = BUFFER.try_with(|slot| {
                    let mut slot = slot.borrow_mut();
                    let buffer = slot.get_or_insert_with(ThreadBuffer::new);
                    let mut lines = lock(&buffer.0);
                    lines.extend_from_slice(line);
                    (lines.len() >= FLUSH_AT)
                        .then(|| std::mem::replace(&mut *lines, Vec::with_capacity(FLUSH_AT)))
                });
                match full {
                    Ok(Some(lines)) => log().write(&lines),
                    Ok(None) => {}
                    // The thread is ending and its buffer is gone: write the line itself.
                    Err(_) => log().write(line),
                }
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
