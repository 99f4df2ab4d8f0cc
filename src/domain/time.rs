//! Time: instants, calendar days and the installation's time zone, all through the `jiff` crate.
//!
//! Storage is unchanged and zone-free: an instant is a [`Timestamp`], milliseconds since the Unix
//! epoch (UTC), in an INTEGER (BIGINT) column, so the same column type works in SQLite and
//! PostgreSQL and a change of zone never rewrites a row. People see times in the installation's
//! [`Zone`]; machines (`<time datetime>`, CSV exports) get RFC 3339 instants in UTC.
//!
//! A **day number** is the days since 1970-01-01 of a civil (calendar) date, whatever the zone:
//! the insight counters and the date filters speak in the day numbers of the installation's
//! local dates.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{ToSpan, Unit};

/// Milliseconds in a civil day (a local day in a zone may be 23 or 25 hours long).
const CIVIL_DAY_MS: i64 = 86_400_000;
/// Milliseconds in an hour.
const HOUR_MS: i64 = 3_600_000;
/// The first civil date, day number 0.
const EPOCH_DATE: Date = Date::constant(1970, 1, 1);

/// The hour business hours start, local time, Monday to Friday.
pub const BUSINESS_OPENS: i8 = 9;
/// The hour business hours end, local time.
pub const BUSINESS_CLOSES: i8 = 17;

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

    /// The instant as jiff holds it; clamped to jiff's range (years -9999 to 9999), which no
    /// time helpdesk records leaves.
    pub fn instant(self) -> jiff::Timestamp {
        let ms = self.0.clamp(
            jiff::Timestamp::MIN.as_millisecond(),
            jiff::Timestamp::MAX.as_millisecond(),
        );
        jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// The instant as RFC 3339 in UTC, to the second (`2026-11-26T03:30:00Z`): for
    /// `<time datetime>` attributes.
    pub fn iso(self) -> String {
        self.instant().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    /// The instant as RFC 3339 in UTC with milliseconds (`2026-11-26T03:30:00.000Z`): for
    /// exports, which sort and compare as text.
    pub fn iso_millis(self) -> String {
        self.instant()
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    }
}

/// RFC 3339 in UTC, as [`Timestamp::iso`]: a person sees times through [`Zone::display`].
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso())
    }
}

/// The civil date of a day number.
pub fn date_of(day: i64) -> Date {
    // Within a span jiff can hold; past its dates (years -9999 to 9999), the first or last date.
    let days = day.clamp(-7_000_000, 7_000_000);
    EPOCH_DATE
        .checked_add(days.days())
        .unwrap_or(if day < 0 { Date::MIN } else { Date::MAX })
}

/// The day number of a civil date.
pub fn day_of(date: Date) -> i64 {
    date.since((Unit::Day, EPOCH_DATE))
        .map_or(0, |span| i64::from(span.get_days()))
}

/// A day number as `2026-11-26`.
pub fn date(day: i64) -> String {
    date_of(day).to_string()
}

/// The day number of a date typed as `2026-11-26`, if that date exists. Strictly four digits,
/// two and two: jiff would also take other ISO 8601 spellings (`+002026-11-26`), which a date
/// box never sends and a mistyped link should not hit by chance.
pub fn parse_date(text: &str) -> Option<i64> {
    let shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    text.parse::<Date>().ok().map(day_of)
}

/// The day of the week of a day number, Monday = 0.
pub fn weekday(day: i64) -> usize {
    date_of(day).weekday().to_monday_zero_offset() as usize
}

/// The Monday of the ISO week (Monday to Sunday) a day number falls in, as a day number.
pub fn week_start(day: i64) -> i64 {
    let date = date_of(day);
    if date.weekday() == Weekday::Monday {
        return day;
    }
    date.nth_weekday(-1, Weekday::Monday).map_or(day, day_of)
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

/// A time zone name that the time zone database does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown time zone {name:?}: give an IANA time zone name such as UTC, Europe/Paris or America/New_York"
)]
pub struct UnknownZone {
    /// The name as given.
    pub name: String,
}

/// The installation's time zone: an IANA zone (`America/New_York`) or UTC. Times are shown to
/// people in it, and "a day" (date filters, the insights' days, weeks, hours and weekdays) is a
/// local day in it, from one local midnight to the next: 23 or 25 hours on a day the clocks
/// change.
///
/// Cheap to clone (the zone's rules are shared); compared by name.
#[derive(Clone)]
pub struct Zone {
    name: Arc<str>,
    tz: TimeZone,
}

impl Zone {
    /// UTC: the default.
    pub fn utc() -> Zone {
        Zone {
            name: Arc::from("UTC"),
            tz: TimeZone::UTC,
        }
    }

    /// The zone named `name` in the IANA time zone database bundled with helpdesk; its
    /// canonical spelling is kept (`america/new_york` is `America/New_York`).
    pub fn parse(name: &str) -> Result<Zone, UnknownZone> {
        let unknown = || UnknownZone {
            name: name.to_string(),
        };
        let trimmed = name.trim();
        if trimmed.eq_ignore_ascii_case("UTC") {
            return Ok(Zone::utc());
        }
        // A fixed offset or a POSIX rule is no place's zone; only IANA names are taken.
        if trimmed.is_empty() || trimmed.starts_with(['+', '-']) {
            return Err(unknown());
        }
        let tz = TimeZone::get(trimmed).map_err(|_| unknown())?;
        let name = tz.iana_name().unwrap_or(trimmed).to_string();
        Ok(Zone {
            name: Arc::from(name),
            tz,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset from UTC at `at`, in milliseconds.
    pub fn offset_ms(&self, at: Timestamp) -> i64 {
        i64::from(self.tz.to_offset(at.instant()).seconds()) * 1000
    }

    /// The day number of the local date at `at`.
    ///
    /// The local wall-clock time, counted in milliseconds from 1970-01-01 00:00, is the instant
    /// plus jiff's offset at that instant; whole civil days of it are the local date's day
    /// number. One offset lookup and no allocation, since the writer does it for every event
    /// (the tests check it against jiff's civil dates).
    pub fn local_day(&self, at: Timestamp) -> i64 {
        (at.0 + self.offset_ms(at)).div_euclid(CIVIL_DAY_MS)
    }

    /// The local hour at `at` as `local day number * 24 + hour of the day` (0 to 23).
    pub fn local_hour(&self, at: Timestamp) -> i64 {
        (at.0 + self.offset_ms(at)).div_euclid(HOUR_MS)
    }

    /// Today's day number, in this zone.
    pub fn today(&self) -> i64 {
        self.local_day(Timestamp::now())
    }

    /// The instant the local day `day` starts: its first moment, midnight unless the clocks
    /// skip midnight that day.
    pub fn start_of_day(&self, day: i64) -> Timestamp {
        let start = date_of(day)
            .to_zoned(self.tz.clone())
            .and_then(|z| z.start_of_day());
        // Only a day beyond jiff's range (years -9999 to 9999) has no start.
        start.map_or(Timestamp(day * CIVIL_DAY_MS), |z| {
            Timestamp(z.timestamp().as_millisecond())
        })
    }

    /// The instant `minutes` of business hours after `start`: hours from
    /// [`BUSINESS_OPENS`] to [`BUSINESS_CLOSES`] o'clock, Monday to Friday, in this zone (a
    /// start outside them counts from the next opening). For response-time targets kept in
    /// business hours.
    pub fn after_business_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        let mut left = minutes.max(0) * 60_000;
        let mut at = start.0;
        // At most one pass a day; a target of years still ends.
        for _ in 0..20_000 {
            let local = Timestamp(at).instant().to_zoned(self.tz.clone());
            let date = local.date();
            let at_hour = |hour: i8| {
                date.at(hour, 0, 0, 0)
                    .to_zoned(self.tz.clone())
                    .map_or(at, |z| z.timestamp().as_millisecond())
            };
            let next_day = date
                .tomorrow()
                .ok()
                .and_then(|d| d.to_zoned(self.tz.clone()).ok())
                .map_or(at + CIVIL_DAY_MS, |z| z.timestamp().as_millisecond());
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            let (opens, closes) = (at_hour(BUSINESS_OPENS), at_hour(BUSINESS_CLOSES));
            if weekend || at >= closes {
                at = next_day.max(at + 1);
                continue;
            }
            at = at.max(opens);
            if left <= closes - at {
                return Timestamp(at + left);
            }
            left -= closes - at;
            at = next_day;
        }
        Timestamp(at + left)
    }

    /// The local time for people, with the zone's abbreviation: `2026-11-25 22:30 EST`.
    pub fn display(&self, at: Timestamp) -> String {
        at.instant()
            .to_zoned(self.tz.clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    /// The zone's offsets from UTC up to `until`, as (from instant, offset) pairs in
    /// milliseconds, oldest first; the first starts at `i64::MIN`. For a database that must
    /// find local days without calling jiff (an SQL trigger); after `until` the last offset
    /// stands.
    pub fn offsets(&self, until: Timestamp) -> Vec<(i64, i64)> {
        let first = i64::from(self.tz.to_offset(jiff::Timestamp::MIN).seconds()) * 1000;
        let mut out = vec![(i64::MIN, first)];
        for t in self.tz.following(jiff::Timestamp::MIN) {
            let at = t.timestamp().as_millisecond();
            if at > until.0 {
                break;
            }
            let offset = i64::from(t.offset().seconds()) * 1000;
            if out.last().is_some_and(|last| last.1 != offset) {
                out.push((at, offset));
            }
        }
        out
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl Default for Zone {
    fn default() -> Zone {
        Zone::utc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NY: &str = "America/New_York";

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn business_hours_skip_nights_weekends_and_follow_the_clocks() {
        let utc = Zone::utc();
        // Friday 2026-12-04 16:00 + 2 h: one hour on Friday, one on Monday.
        assert_eq!(
            utc.after_business_minutes(at("2026-12-04T16:00:00Z"), 120),
            at("2026-12-07T10:00:00Z")
        );
        // A Saturday start counts from Monday's opening.
        assert_eq!(
            utc.after_business_minutes(at("2026-12-05T12:00:00Z"), 30),
            at("2026-12-07T09:30:00Z")
        );
        // Before opening and after closing on a weekday.
        assert_eq!(
            utc.after_business_minutes(at("2026-12-08T06:00:00Z"), 60),
            at("2026-12-08T10:00:00Z")
        );
        assert_eq!(
            utc.after_business_minutes(at("2026-12-08T18:00:00Z"), 60),
            at("2026-12-09T10:00:00Z")
        );
        // Exactly the day's hours end at closing; a week of them, five days later.
        assert_eq!(
            utc.after_business_minutes(at("2026-12-08T09:00:00Z"), 8 * 60),
            at("2026-12-08T17:00:00Z")
        );
        assert_eq!(
            utc.after_business_minutes(at("2026-12-07T09:00:00Z"), 5 * 8 * 60 + 60),
            at("2026-12-14T10:00:00Z")
        );
        // New York: Friday 2026-03-06 16:00 EST + 2 h ends Monday 10:00 EDT, after the clocks
        // went forward on Sunday: 14:00 UTC, not 15:00.
        let ny = Zone::parse(NY).unwrap();
        assert_eq!(
            ny.after_business_minutes(at("2026-03-06T21:00:00Z"), 120),
            at("2026-03-09T14:00:00Z")
        );
        assert_eq!(
            utc.after_business_minutes(at("2026-12-08T10:00:00Z"), 0),
            at("2026-12-08T10:00:00Z")
        );
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(Timestamp(0).iso(), "1970-01-01T00:00:00Z");
        assert_eq!(Timestamp(1_795_704_774_000).iso(), "2026-11-26T14:52:54Z");
        assert_eq!(
            Timestamp(1_795_704_774_123).iso_millis(),
            "2026-11-26T14:52:54.123Z"
        );
        assert_eq!(
            Zone::utc().display(Timestamp(951_782_400_000)),
            "2000-02-29 00:00 UTC"
        );
        let ny = Zone::parse(NY).unwrap();
        assert_eq!(
            ny.display(at("2026-11-26T03:30:00Z")),
            "2026-11-25 22:30 EST"
        );
        assert_eq!(
            ny.display(at("2026-07-01T03:30:00Z")),
            "2026-06-30 23:30 EDT"
        );
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
            "20261126",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        for day in [-1, 0, 59, 10_957, 20_783, 2_932_896] {
            assert_eq!(parse_date(&date(day)), Some(day));
        }
    }

    #[test]
    fn weekdays_and_weeks_start_on_monday() {
        assert_eq!(weekday(0), 3, "1970-01-01 was a Thursday");
        assert_eq!(weekday(4), 0, "1970-01-05 was a Monday");
        assert_eq!(weekday(-1), 2);
        assert_eq!(week_start(4), 4);
        assert_eq!(week_start(10), 4);
        assert_eq!(week_start(0), -3);
        assert_eq!(
            date(week_start(parse_date("2026-11-29").unwrap())),
            "2026-11-23"
        );
    }

    #[test]
    fn zones_are_iana_names_or_refused() {
        assert_eq!(Zone::parse("UTC").unwrap(), Zone::utc());
        assert_eq!(Zone::parse("america/new_york").unwrap().name(), NY);
        for bad in ["Mars/Olympus", "", "+05:00", "EST5EDT,M3.2.0,M11.1.0"] {
            let e = Zone::parse(bad).unwrap_err();
            assert!(e.to_string().contains("unknown time zone"), "{bad}: {e}");
        }
    }

    #[test]
    fn local_days_and_hours_are_those_of_jiff_civil_dates() {
        let ny = Zone::parse(NY).unwrap();
        let kolkata = Zone::parse("Asia/Kolkata").unwrap();
        // Every 37 minutes through 2026, across both of New York's changes of the clocks.
        let mut t = at("2026-01-01T00:00:00Z").0;
        while t < at("2027-01-01T00:00:00Z").0 {
            for zone in [&ny, &kolkata, &Zone::utc()] {
                let zoned = Timestamp(t).instant().to_zoned(zone.tz.clone());
                let day = day_of(zoned.date());
                assert_eq!(zone.local_day(Timestamp(t)), day);
                assert_eq!(
                    zone.local_hour(Timestamp(t)),
                    day * 24 + i64::from(zoned.hour())
                );
            }
            t += 37 * 60_000;
        }
        let day = parse_date("2026-11-25").unwrap();
        assert_eq!(ny.local_day(at("2026-11-26T03:30:00Z")), day);
        assert_eq!(ny.local_hour(at("2026-11-26T03:30:00Z")), day * 24 + 22);
    }

    #[test]
    fn days_the_clocks_change_are_23_and_25_hours_long() {
        let ny = Zone::parse(NY).unwrap();
        let length = |d: &str| {
            let day = parse_date(d).unwrap();
            (ny.start_of_day(day + 1).0 - ny.start_of_day(day).0) / 3_600_000
        };
        assert_eq!(length("2026-03-08"), 23);
        assert_eq!(length("2026-11-01"), 25);
        assert_eq!(length("2026-11-25"), 24);
        assert_eq!(
            ny.start_of_day(parse_date("2026-11-25").unwrap()),
            at("2026-11-25T05:00:00Z")
        );
        // Where the clocks skip midnight, the day starts at 01:00.
        let havana = Zone::parse("America/Havana").unwrap();
        let start = havana.start_of_day(parse_date("2026-03-08").unwrap());
        assert_eq!(havana.display(start), "2026-03-08 01:00 CDT");
    }

    #[test]
    fn offsets_follow_the_zone() {
        assert_eq!(Zone::utc().offsets(Timestamp::now()), vec![(i64::MIN, 0)]);
        let ny = Zone::parse(NY).unwrap();
        let offsets = ny.offsets(at("2030-01-01T00:00:00Z"));
        let find = |t: Timestamp| {
            offsets
                .iter()
                .rev()
                .find(|(from, _)| *from <= t.0)
                .map(|o| o.1)
        };
        let mut t = at("1900-01-01T00:00:00Z").0;
        while t < at("2030-01-01T00:00:00Z").0 {
            assert_eq!(find(Timestamp(t)), Some(ny.offset_ms(Timestamp(t))));
            t += 7 * 3_600_000 + 13 * 60_000;
        }
    }

    #[test]
    fn elapsed_reads_naturally() {
        assert_eq!(elapsed(Timestamp(0), Timestamp(45_000)), "45 s");
        assert_eq!(elapsed(Timestamp(0), Timestamp(180_000)), "3 min");
        assert_eq!(elapsed(Timestamp(0), Timestamp(7_200_000)), "2 h");
    }
}
