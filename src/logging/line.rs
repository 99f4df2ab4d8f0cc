//! How one log line is written: the same line as `tracing_subscriber`'s default format, written
//! without its general machinery.
//!
//! ```text
//! 2026-12-06T17:13:48.016181Z  INFO helpdesk::middleware: request method=GET route=/ status=200 latency_us=5 request.id=1ffaaae8448d-2
//! ```
//!
//! The default format asks the clock's date and time to be formatted anew for every line and
//! wraps every field name in colour codes even when colours are off; on the busiest page that was
//! most of what the log cost. Here the date and time up to the second are formatted once a second
//! per thread, and a field is its name, `=` and its value. Colours (a person at a terminal) and
//! events inside a span go to the default format, which stays the reference for how a line looks.

use std::cell::RefCell;
use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{self, Format, FormatEvent, FormatFields};
use tracing_subscriber::fmt::{FmtContext, time::SystemTime as Clock};
use tracing_subscriber::registry::LookupSpan;

/// The log's line format; see the module's documentation.
#[derive(Debug, Default)]
pub(super) struct LineFormat {
    fallback: Format<format::Full, Clock>,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        if writer.has_ansi_escapes() || ctx.lookup_current().is_some() {
            return self.fallback.format_event(ctx, writer, event);
        }
        write_timestamp(&mut writer, SystemTime::now())?;
        let meta = event.metadata();
        writer.write_str(level(*meta.level()))?;
        writer.write_char(' ')?;
        writer.write_str(meta.target())?;
        writer.write_str(": ")?;
        let mut fields = Fields {
            writer: &mut writer,
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_char('\n')
    }
}

/// The level as the default format writes it: five characters wide, aligned right.
fn level(level: Level) -> &'static str {
    match level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => " INFO",
        Level::WARN => " WARN",
        Level::ERROR => "ERROR",
    }
}

thread_local! {
    /// The second this thread last wrote, and its date and time up to the `.` before the
    /// fraction: `2026-12-06T17:13:48.`.
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-06T17:13:48.016181Z ` (UTC, microseconds, a space), as the default format writes it.
fn write_timestamp(writer: &mut impl Write, now: SystemTime) -> fmt::Result {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let second = since.as_secs();
    SECOND.with_borrow_mut(|(cached, prefix)| {
        if *cached != second {
            let at = i64::try_from(second)
                .ok()
                .and_then(|s| jiff::Timestamp::from_second(s).ok())
                .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
            prefix.clear();
            write!(prefix, "{}.", at.strftime("%Y-%m-%dT%H:%M:%S"))?;
            *cached = second;
        }
        writer.write_str(prefix)
    })?;
    let mut digits = [b'0'; 6];
    write_digits(&mut digits, u64::from(since.subsec_micros()));
    writer.write_str(std::str::from_utf8(&digits).unwrap_or("000000"))?;
    writer.write_str("Z ")
}

/// Writes `n` right-aligned into `out`, leaving the zeros it starts with in front.
fn write_digits(out: &mut [u8], mut n: u64) -> usize {
    let mut at = out.len();
    loop {
        at -= 1;
        out[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || at == 0 {
            return at;
        }
    }
}

/// Writes an event's fields as the default format does: the message, then `name=value`
/// separated by spaces, strings quoted and `%` values as they display.
struct Fields<'a, W> {
    writer: &'a mut W,
    first: bool,
    result: fmt::Result,
}

impl<W: Write> Fields<'_, W> {
    /// Starts a field: a space before every one but the first, then `name=` unless it is the
    /// message.
    fn start(&mut self, field: &Field) -> fmt::Result {
        if !std::mem::take(&mut self.first) {
            self.writer.write_char(' ')?;
        }
        match field.name() {
            "message" => Ok(()),
            name => {
                self.writer
                    .write_str(name.strip_prefix("r#").unwrap_or(name))?;
                self.writer.write_char('=')
            }
        }
    }
}

impl<W: Write> Visit for Fields<'_, W> {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.result.is_ok() {
            self.result = self.start(field).and_then(|()| {
                let mut digits = [0; 20];
                let from = write_digits(&mut digits, value);
                self.writer
                    .write_str(std::str::from_utf8(&digits[from..]).unwrap_or("?"))
            });
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.result.is_ok() {
            self.result = self.start(field).and_then(|()| match field.name() {
                "message" => self.writer.write_str(value),
                _ => write!(self.writer, "{value:?}"),
            });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.result.is_ok() {
            self.result = self
                .start(field)
                .and_then(|()| write!(self.writer, "{value:?}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Lines written to memory.
    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Memory {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Memory {
        type Writer = Memory;
        fn make_writer(&'a self) -> Memory {
            self.clone()
        }
    }

    /// What `events` write through `format`, with the time cut off.
    fn lines_of(
        format: impl FormatEvent<tracing_subscriber::Registry, format::DefaultFields>
        + Send
        + Sync
        + 'static,
    ) -> Vec<String> {
        let out = Memory::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .with_max_level(Level::TRACE)
            .event_format(format)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let method = "GET";
            tracing::info!(%method, route = %"/problems/{problem}", status = 200_u16, latency_us = 17_u64, request.id = %"abc-1", "request");
            tracing::warn!(error = %"database is locked", "database unavailable");
            tracing::error!(
                guide.version = 3_i64,
                ok = true,
                name = "quoted \"too\"",
                "stored guide version no longer parses"
            );
            tracing::debug!(r#type = "x", count = 0_u64);
            tracing::info!("message only");
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| line.split_once(' ').unwrap().1.to_string())
            .collect()
    }

    #[test]
    fn lines_are_the_default_formats_lines() {
        let ours = lines_of(LineFormat::default());
        let default = lines_of(Format::default());
        assert_eq!(ours.len(), 5);
        assert_eq!(ours, default);
        assert_eq!(
            ours[0],
            " INFO helpdesk::logging::line::tests: request method=GET route=/problems/{problem} status=200 latency_us=17 request.id=abc-1"
        );
    }

    #[test]
    fn the_time_is_utc_to_the_microsecond() {
        let mut line = String::new();
        let at = UNIX_EPOCH + Duration::from_micros(1_796_577_228_016_181);
        write_timestamp(&mut line, at).unwrap();
        assert_eq!(line, "2026-12-06T17:13:48.016181Z ");
        line.clear();
        write_timestamp(&mut line, at + Duration::from_micros(9)).unwrap();
        assert_eq!(line, "2026-12-06T17:13:48.016190Z ");
        line.clear();
        write_timestamp(&mut line, UNIX_EPOCH + Duration::from_secs(1_796_577_229)).unwrap();
        assert_eq!(line, "2026-12-06T17:13:49.000000Z ");
    }

    #[test]
    fn numbers_are_written_whole() {
        for n in [0, 7, 10, 99, 1_000_001, u64::MAX] {
            let mut digits = [0; 20];
            let from = write_digits(&mut digits, n);
            assert_eq!(std::str::from_utf8(&digits[from..]).unwrap(), n.to_string());
        }
    }
}
