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

    /// The time as an ISO 8601 string with milliseconds, for exports.
    pub fn iso_millis(self) -> String {
        let (y, mo, d, h, mi, s) = self.civil();
        let ms = self.0.rem_euclid(1000);
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
    }

    /// The UTC day (days since 1970-01-01) this time falls on.
    pub fn day(self) -> i64 {
        self.0.div_euclid(86_400_000)
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

/// The UTC day (days since 1970-01-01) of a calendar date, if the date exists:
/// `2026-11-26` is strictly four digits, two and two.
pub fn parse_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| text[r].parse().ok())
            .flatten()
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&d) {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A UTC day (days since 1970-01-01) as `2026-11-26`.
pub fn date(day: i64) -> String {
    Timestamp(day * 86_400_000).iso()[..10].to_string()
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
    fn dates_parse_strictly_and_round_trip() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(
            parse_date("2026-11-26"),
            Some(1_795_704_774_000 / 86_400_000)
        );
        assert_eq!(parse_date("2000-02-29"), Some(951_782_400_000 / 86_400_000));
        for bad in [
            "2001-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "26-11-26",
            "2026-1-26",
            "2026/11/26",
            "+026-11-26",
            "2026-11-2x",
            "",
            "2026-11-260",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for day in [-1, 0, 59, 10_957, 20_783, 2_932_896] {
            assert_eq!(parse_date(&date(day)), Some(day));
        }
        assert_eq!(
            Timestamp(1_795_704_774_123).iso_millis(),
            "2026-11-26T14:52:54.123Z"
        );
        assert_eq!(Timestamp(1_795_704_774_123).day(), 20_783);
    }

    #[test]
    fn elapsed_reads_naturally() {
        assert_eq!(elapsed(Timestamp(0), Timestamp(45_000)), "45 s");
        assert_eq!(elapsed(Timestamp(0), Timestamp(180_000)), "3 min");
        assert_eq!(elapsed(Timestamp(0), Timestamp(7_200_000)), "2 h");
    }
}
