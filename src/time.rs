//! Timestamps: one representation everywhere, milliseconds since the Unix epoch (UTC).
//!
//! Stored as a 64-bit integer so the same column type works in SQLite and PostgreSQL.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// The time as `2026-11-26 14:52 UTC`.
    pub fn display(self) -> String {
        let (y, mo, d, h, mi, _) = self.civil();
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} UTC")
    }

    /// The time as an ISO 8601 string, for `<time datetime>` attributes.
    pub fn iso(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// Year, month, day, hour, minute, second in UTC (Howard Hinnant's civil-from-days).
    fn civil(self) -> (i64, u32, u32, u32, u32, u32) {
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (
            y,
            m,
            d,
            (rem / 3600) as u32,
            (rem % 3600 / 60) as u32,
            (rem % 60) as u32,
        )
    }
}

/// A duration between two timestamps in words a person reads at a glance: `45 s`, `3 min`, `2 h`.
pub fn elapsed(from: Timestamp, to: Timestamp) -> String {
    let secs = (to.0 - from.0).max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        3600..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).iso(), "1970-01-01T00:00:00Z");
        // 2026-11-26T14:52:54Z
        assert_eq!(Timestamp(1_795_704_774_000).iso(), "2026-11-26T14:52:54Z");
        assert_eq!(Timestamp(951_782_400_000).display(), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn elapsed_reads_naturally() {
        assert_eq!(elapsed(Timestamp(0), Timestamp(45_000)), "45 s");
        assert_eq!(elapsed(Timestamp(0), Timestamp(180_000)), "3 min");
        assert_eq!(elapsed(Timestamp(0), Timestamp(7_200_000)), "2 h");
    }
}
