//! Time as the fediverse and Mastodon apps want it.
//!
//! Apps parse dates strictly: always UTC, always with milliseconds
//! (`2026-01-02T03:04:05.000Z`). ActivityPub peers accept the same form.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `2026-01-02T03:04:05.000Z` for a Unix time in milliseconds.
pub fn iso8601_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let dt =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        millis
    )
}

/// `2026-01-02` for a Unix time in milliseconds (Mastodon's `last_status_at`).
pub fn date_only(ms: i64) -> String {
    iso8601_ms(ms)[..10].to_string()
}

/// Parses an RFC 3339 date as peers send it (`published`, `updated`).
pub fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let dt = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some((dt.unix_timestamp_nanos() / 1_000_000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds() {
        assert_eq!(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601_ms(1_767_323_045_007), "2026-01-02T03:04:05.007Z");
        assert_eq!(date_only(1_767_323_045_007), "2026-01-02");
    }

    #[test]
    fn parses_what_it_formats() {
        let ms = 1_767_323_045_007;
        assert_eq!(parse_rfc3339_ms(&iso8601_ms(ms)), Some(ms));
        assert_eq!(
            parse_rfc3339_ms("2026-01-02T03:04:05+01:00"),
            Some(1_767_319_445_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }
}
