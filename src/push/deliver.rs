//! Sending one queued push message to its push service (RFC 8030 §5),
//! called by the delivery worker for push jobs, so push messages share
//! the durable queue, its leases, backoff and per-host pauses.

use super::vapid;
use crate::federation::delivery::Outcome;
use crate::federation::fetcher::FetchError;
use crate::state::AppState;
use crate::store::push::VapidKey;
use crate::store::queue::{DeliveryJob, JobKind, LegacyPushHeaders};
use crate::time_fmt::now_ms;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};

/// How long a push service should hold a message for an offline device,
/// and how long we keep retrying one (Mastodon's 48 hours): a
/// notification two days old is news to nobody.
pub const TTL_SECS: i64 = 48 * 60 * 60;
/// RFC 8030 §5.3: `normal` is what Mastodon sends; phones may then wake
/// on battery.
pub const URGENCY: &str = "normal";

/// What a push service's answer means for the message and subscription.
#[derive(Debug, PartialEq)]
pub enum PushOutcome {
    Delivered,
    /// 404 or 410 (RFC 8030 §7.3): the subscription is gone for good.
    Expired,
    /// Try again later (408, 429, 5xx).
    Retry,
    /// Other 4xx: this message can't be delivered (too large, refused
    /// token); the subscription may still work for others.
    Refused,
}

pub fn classify(status: u16) -> PushOutcome {
    match status {
        200..=299 => PushOutcome::Delivered,
        404 | 410 => PushOutcome::Expired,
        408 | 429 => PushOutcome::Retry,
        400..=499 => PushOutcome::Refused,
        _ => PushOutcome::Retry,
    }
}

/// The `sub` claim: how a push service's operator can reach us. We have
/// no contact address, so our own URL (RFC 8292 §2.1 allows https URIs).
fn subject(state: &AppState) -> String {
    state.urls.base.clone()
}

/// The headers of the job's content coding and its VAPID token. RFC 8291
/// messages carry everything in the body and use RFC 8292's `vapid`
/// scheme; legacy `aesgcm` messages put the salt in `Encryption`, our
/// ephemeral key and the VAPID key in `Crypto-Key`, and the token in
/// `Authorization: WebPush`, as Mastodon up to 4.3 sent them.
fn coding_headers(
    key: &VapidKey,
    job: &DeliveryJob,
    legacy: Option<&LegacyPushHeaders>,
    subject: &str,
    now_ms: i64,
) -> Result<HeaderMap, String> {
    let mut headers = HeaderMap::new();
    let value =
        |s: String| HeaderValue::from_str(&s).map_err(|_| format!("`{s}` is not a valid header"));
    match legacy {
        None => {
            let authorization = vapid::authorization(key, &job.inbox, subject, now_ms / 1000)
                .map_err(|e| e.to_string())?;
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("aes128gcm"));
            headers.insert(AUTHORIZATION, value(authorization)?);
        }
        Some(l) => {
            let token = vapid::jwt(
                key,
                &vapid::audience(&job.inbox).map_err(|e| e.to_string())?,
                subject,
                now_ms / 1000,
            )
            .map_err(|e| e.to_string())?;
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("aesgcm"));
            headers.insert(
                "encryption",
                value(format!("salt={}", URL_SAFE_NO_PAD.encode(&l.salt)))?,
            );
            headers.insert(
                "crypto-key",
                value(format!(
                    "dh={};p256ecdsa={}",
                    URL_SAFE_NO_PAD.encode(&l.dh),
                    URL_SAFE_NO_PAD.encode(&key.public_key)
                ))?,
            );
            headers.insert(AUTHORIZATION, value(format!("WebPush {token}"))?);
        }
    }
    Ok(headers)
}

/// One attempt at one push job.
pub async fn attempt(state: &AppState, job: &DeliveryJob) -> Outcome {
    let JobKind::Push {
        token_hash,
        subscription_id,
        legacy,
    } = &job.kind
    else {
        return Outcome::Permanent("not a push message".into());
    };
    match state.store.push_subscription(token_hash) {
        Ok(Some(s)) if s.id == *subscription_id => {}
        Ok(_) => return Outcome::Permanent("the subscription was removed or replaced".into()),
        Err(e) => return Outcome::Retry(e.to_string()),
    }
    let now = now_ms();
    let age_secs = (now - job.first_attempt_ms).max(0) / 1000;
    if age_secs >= TTL_SECS {
        return Outcome::Permanent("older than its time to live; dropped".into());
    }
    let key = match vapid::key(&state.store) {
        Ok(k) => k,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    let mut headers = match coding_headers(&key, job, legacy.as_ref(), &subject(state), now) {
        Ok(h) => h,
        Err(e) => return Outcome::Permanent(e),
    };
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert("ttl", HeaderValue::from(TTL_SECS - age_secs));
    headers.insert("urgency", HeaderValue::from_static(URGENCY));
    let status = match state
        .fetcher
        .post_raw(&job.inbox, headers, job.body.clone())
        .await
    {
        Ok(s) => s.as_u16(),
        Err(e @ (FetchError::BadUrl(_) | FetchError::PrivateAddress(_))) => {
            return Outcome::Permanent(e.to_string())
        }
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    match classify(status) {
        PushOutcome::Delivered => Outcome::Delivered,
        PushOutcome::Retry => Outcome::Retry(format!("HTTP {status}")),
        PushOutcome::Refused => Outcome::Permanent(format!("HTTP {status}")),
        PushOutcome::Expired => {
            match state
                .store
                .delete_push_subscription_if(token_hash, *subscription_id)
            {
                Ok(_) => tracing::info!(
                    "push subscription {subscription_id} expired (HTTP {status}); removed it"
                ),
                Err(e) => tracing::error!("cannot remove expired push subscription: {e}"),
            }
            Outcome::Permanent(format!("HTTP {status}: the subscription is gone"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_service_answers() {
        assert_eq!(classify(201), PushOutcome::Delivered);
        assert_eq!(classify(404), PushOutcome::Expired);
        assert_eq!(classify(410), PushOutcome::Expired);
        assert_eq!(classify(413), PushOutcome::Refused);
        assert_eq!(classify(429), PushOutcome::Retry);
        assert_eq!(classify(502), PushOutcome::Retry);
    }
}
