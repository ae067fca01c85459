//! Creating the owner (setup page, `burrow init`) and changing their
//! password (`burrow passwd`, settings page).
//!
//! These run argon2 and RSA code: they are blocking, and async callers
//! wrap them in `spawn_blocking`.

use super::{OpError, OpResult};
use crate::crypto::{keys, password};
use crate::store::oauth::Token;
use crate::store::{accounts::Account, Owner, Store, StoreError};
use crate::urls::Urls;

/// Mastodon's limit; longer names break apps' layouts.
pub const MAX_USERNAME_LEN: usize = 30;
pub const MAX_DISPLAY_NAME_CHARS: usize = 30;

pub struct NewOwner {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

/// Usernames as Mastodon allows them: ASCII letters, digits, underscore.
pub fn validate_username(name: &str) -> OpResult<()> {
    if name.is_empty() || name.len() > MAX_USERNAME_LEN {
        return Err(OpError::Invalid(format!(
            "the username must be 1 to {MAX_USERNAME_LEN} characters long"
        )));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(OpError::Invalid(format!(
            "the username `{name}` may contain only letters a-z, digits and _"
        )));
    }
    Ok(())
}

/// Creates the owner with the given RSA key (PKCS#8). Refuses, changing
/// nothing, when the store already has an owner.
pub fn create_owner(
    store: &Store,
    urls: &Urls,
    new: &NewOwner,
    key_pkcs8: Vec<u8>,
) -> OpResult<Account> {
    validate_username(&new.username)?;
    let display_name = new.display_name.trim();
    if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        return Err(OpError::Invalid(format!(
            "the display name may be at most {MAX_DISPLAY_NAME_CHARS} characters"
        )));
    }
    password::check_strength(&new.password).map_err(OpError::Invalid)?;
    if store.owner()?.is_some() {
        return Err(OpError::Conflict(
            "this server already has an owner; use `burrow passwd` to change the password".into(),
        ));
    }
    let signing =
        keys::SigningKey::from_pkcs8(&key_pkcs8).map_err(|e| OpError::Internal(e.to_string()))?;
    let now = crate::time_fmt::now_ms();
    let name = &new.username;
    let account = Account {
        id: store.next_id(),
        username: name.clone(),
        domain: None,
        uri: urls.actor(name),
        url: urls.profile(name),
        display_name: display_name.to_string(),
        discoverable: true,
        indexable: true,
        created_at_ms: now,
        inbox: urls.inbox(name),
        shared_inbox: urls.shared_inbox(),
        outbox: urls.outbox(name),
        followers_url: urls.followers(name),
        following_url: urls.following(name),
        featured_url: urls.featured(name),
        public_key_id: urls.key_id(name),
        public_key_pem: signing.public_key_pem(),
        ..Default::default()
    };
    let owner = Owner {
        account_id: account.id,
        username: name.clone(),
        password_hash: password::hash(&new.password),
        private_key_pkcs8: key_pkcs8,
        created_at_ms: now,
    };
    store.create_owner(&owner, &account).map_err(|e| match e {
        StoreError::Conflict(m) => OpError::Conflict(m),
        e => e.into(),
    })?;
    store.flush_sync()?;
    Ok(account)
}

/// Host names that only a home network resolves: multicast DNS
/// (`raspberrypi.local`), and the names routers and RFC 8375/6762 keep
/// for homes.
const LOCAL_SUFFIXES: [&str; 5] = [".local", ".lan", ".home", ".home.arpa", ".internal"];

/// Whether nobody outside this machine or home network can reach an
/// identity made under `public_url`: `localhost`, a loopback, private,
/// link-local or unique-local address, a home-network name, or a name
/// without a dot. Peers could never fetch such an actor, so setup says
/// so before the owner builds on it.
pub fn public_url_is_local(public_url: &str) -> bool {
    let Some(host) = url::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    else {
        return true;
    };
    match host {
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || !name.contains('.')
                || LOCAL_SUFFIXES.iter().any(|s| name.ends_with(s))
        }
        url::Host::Ipv4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                // 100.64.0.0/10, carrier-grade NAT: not reachable from outside.
                || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
        }
        url::Host::Ipv6(ip) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
        }
    }
}

/// What setup says when `public_url_is_local`: that nobody else can reach
/// this identity, and how to make one that they can.
pub fn local_url_warning(public_url: &str) -> String {
    format!(
        "{public_url} can only be reached from this machine or your home network, so nobody \
elsewhere on the fediverse can find or follow this identity, and it cannot be moved later. \
For a real server, point a domain name at this machine and create the account under that \
address: set public_url in burrow.toml (or BURROW_PUBLIC_URL) before setup, or run \
`burrow init --public-url https://your.domain --username you` in a fresh data directory."
    )
}

/// Changes the owner's password and signs out everything the old one let
/// in: a password is changed because it may be known to someone else, who
/// may have logged in with it already. Every OAuth token (apps log in
/// again), every unspent code and every browser session goes, except
/// `keep_session`, the session making the change on the web. Returns the
/// tokens revoked; the caller closes their streams (`oauth::announce_revoked`)
/// when a server is running.
pub fn change_password(
    store: &Store,
    new_password: &str,
    keep_session: Option<&str>,
) -> OpResult<Vec<Token>> {
    password::check_strength(new_password).map_err(OpError::Invalid)?;
    let mut owner = store.owner()?.ok_or_else(|| {
        OpError::NotFound("this server has no owner yet; run `burrow init` first".into())
    })?;
    owner.password_hash = password::hash(new_password);
    let revoked = store.replace_owner_and_sign_out(&owner, keep_session)?;
    store.flush_sync()?;
    Ok(revoked)
}

/// Checks the owner's password (argon2, slow on purpose).
pub fn check_password(store: &Store, candidate: &str) -> OpResult<bool> {
    let owner = store
        .owner()?
        .ok_or_else(|| OpError::NotFound("this server is not set up yet".into()))?;
    Ok(password::verify(candidate, &owner.password_hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_owner() -> NewOwner {
        NewOwner {
            username: "me".into(),
            display_name: "Me".into(),
            password: "long enough".into(),
        }
    }

    #[test]
    fn local_public_urls_are_recognised() {
        for local in [
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            "http://192.168.1.20",
            "http://10.0.0.5:8080",
            "https://raspberrypi.local",
            "http://raspberrypi:8080",
            "http://[::1]:8080",
            "http://[fd00::5]",
            "http://100.100.1.1",
            "https://pi.home.arpa",
        ] {
            assert!(public_url_is_local(local), "{local}");
        }
        for public in [
            "https://example.net",
            "https://203.0.113.7",
            "https://[2001:db8::1]",
        ] {
            assert!(!public_url_is_local(public), "{public}");
        }
    }

    #[test]
    fn second_owner_is_refused_and_first_kept() {
        let store = Store::temporary().unwrap();
        let urls = Urls::new("https://me.example");
        let a = create_owner(&store, &urls, &new_owner(), keys::seeded_pkcs8(1)).unwrap();
        let mut other = new_owner();
        other.username = "other".into();
        let err = create_owner(&store, &urls, &other, keys::seeded_pkcs8(1)).unwrap_err();
        assert!(matches!(err, OpError::Conflict(_)));
        assert_eq!(store.owner_account().unwrap().unwrap().id, a.id);
        assert_eq!(store.owner().unwrap().unwrap().username, "me");
    }

    #[test]
    fn bad_usernames_and_passwords_are_refused() {
        let store = Store::temporary().unwrap();
        let urls = Urls::new("https://me.example");
        for bad in ["", "has space", "ünï", &"x".repeat(31)] {
            let mut n = new_owner();
            n.username = bad.to_string();
            assert!(
                create_owner(&store, &urls, &n, keys::seeded_pkcs8(1)).is_err(),
                "{bad}"
            );
        }
        let mut n = new_owner();
        n.password = "short".into();
        assert!(create_owner(&store, &urls, &n, keys::seeded_pkcs8(1)).is_err());
        assert!(store.owner().unwrap().is_none());
    }
}
