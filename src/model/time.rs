//! Timestamps: milliseconds since the Unix epoch, parsed from and printed as RFC 3339.

use serde::{Deserialize, Serialize};

/// A point in time, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ts(pub i64);

pub const MS_PER_DAY: i64 = 86_400_000;

impl Ts {
    /// Parses an RFC 3339 timestamp (`2024-06-01T08:15:00.000Z`, any offset).
    pub fn parse(s: &str) -> Option<Ts> {
        let t: jiff::Timestamp = s.trim().parse().ok()?;
        Some(Ts(t.as_millisecond()))
    }

    /// The current time.
    pub fn now() -> Ts {
        Ts(jiff::Timestamp::now().as_millisecond())
    }

    /// RFC 3339 in UTC with a `Z`, seconds precision unless there are milliseconds.
    pub fn to_rfc3339(self) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) if self.0 % 1000 == 0 => format!("{t:.0}"),
            Ok(t) => format!("{t:.3}"),
            Err(_) => self.0.to_string(),
        }
    }

    /// The calendar date, `YYYY-MM-DD`.
    pub fn date(self) -> String {
        let s = self.to_rfc3339();
        s.get(..10).unwrap_or(&s).to_string()
    }

    pub fn minus_days(self, days: i64) -> Ts {
        Ts(self.0.saturating_sub(days.saturating_mul(MS_PER_DAY)))
    }

    /// Whole days from `self` to `later` (rounded down).
    pub fn days_until(self, later: Ts) -> i64 {
        (later.0 - self.0).div_euclid(MS_PER_DAY)
    }
}

impl std::fmt::Display for Ts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pingone_timestamps() {
        let t = Ts::parse("2024-06-01T08:15:00.000Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-06-01T08:15:00Z");
        assert_eq!(
            Ts::parse("2024-06-01T08:15:00.120Z").unwrap().to_rfc3339(),
            "2024-06-01T08:15:00.120Z"
        );
        assert_eq!(Ts::parse("2024-06-01T10:15:00+02:00"), Some(t));
        assert_eq!(Ts::parse("yesterday"), None);
        assert_eq!(t.date(), "2024-06-01");
        assert_eq!(t.minus_days(1).days_until(t), 1);
    }
}
