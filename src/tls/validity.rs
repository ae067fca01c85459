//! When a certificate stops being valid, read from its DER: the one field
//! renewal needs, without an X.509 library.
#![deny(clippy::string_slice, clippy::indexing_slicing)]

/// `(not_before, not_after)` of a DER X.509 certificate, in Unix seconds;
/// `None` when the bytes are not shaped like one.
pub fn validity(der: &[u8]) -> Option<(i64, i64)> {
    let (_, certificate, _) = read(der, Some(SEQUENCE))?;
    let (_, tbs, _) = read(certificate, Some(SEQUENCE))?;
    let mut rest = tbs;
    // version [0] EXPLICIT, absent in v1 certificates
    if rest.first() == Some(&VERSION_TAG) {
        rest = read(rest, None)?.2;
    }
    // serialNumber, signature, issuer
    for _ in 0..3 {
        rest = read(rest, None)?.2;
    }
    let (_, validity, _) = read(rest, Some(SEQUENCE))?;
    let (tag, not_before, rest) = read(validity, None)?;
    let not_before = time(tag, not_before)?;
    let (tag, not_after, _) = read(rest, None)?;
    Some((not_before, time(tag, not_after)?))
}

const SEQUENCE: u8 = 0x30;
const VERSION_TAG: u8 = 0xa0;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;

/// One DER element: its tag, its contents and what follows it. Lengths
/// over four bytes are refused (no certificate is 4 GiB).
fn read(input: &[u8], want: Option<u8>) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if want.is_some_and(|w| w != tag) {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = rest.split_at_checked(n)?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, rest)
    };
    let (contents, rest) = rest.split_at_checked(len)?;
    Some((tag, contents, rest))
}

/// UTCTime `YYMMDDHHMMSSZ` or GeneralizedTime `YYYYMMDDHHMMSSZ`, as
/// RFC 5280 requires them written.
fn time(tag: u8, bytes: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        UTC_TIME => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        GENERALIZED_TIME => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    if rest.len() != 10 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |at: usize| -> Option<u8> { rest.get(at..at + 2)?.parse().ok() };
    let month = time::Month::try_from(field(0)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, field(2)?).ok()?;
    let clock = time::Time::from_hms(field(4)?, field(6)?, field(8)?).ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_validity_rcgen_wrote() {
        let mut params = rcgen::CertificateParams::new(vec!["a.example".to_string()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2026, 1, 2);
        params.not_after = rcgen::date_time_ymd(2051, 3, 4);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (nb, na) = validity(cert.der()).unwrap();
        assert_eq!(nb, 1_767_312_000); // 2026-01-02T00:00:00Z
        assert_eq!(na, 2_561_500_800); // 2051-03-04T00:00:00Z, a GeneralizedTime
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        assert_eq!(validity(&[]), None);
        assert_eq!(validity(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(validity(&[0x30, 0x03, 0x30, 0x01]), None);
        for n in 0..64u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37) ^ 0x30).collect();
            let _ = validity(&bytes);
        }
    }
}
