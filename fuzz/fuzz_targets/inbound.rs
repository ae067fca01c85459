//! ActivityPub intake: raw JSON bytes from a verified signer, applied by
//! the inbox worker's own `apply` (parse, domain check, every activity
//! type in `ops::inbound`) against a temporary store.
//!
//! Nothing reaches the network. The owner and the known peers all live on
//! `localhost` (told apart by port, which makes them different origins),
//! private addresses are refused, and inputs that name any other host are
//! skipped: every fetch the intake tries (an unknown author, a parent, a
//! boosted post, an embedded object from another origin) is refused by
//! the fetcher's address check without leaving the machine.
#![no_main]

use burrow::config::Config;
use burrow::federation::fetcher::is_public_ip;
use burrow::federation::inbox_worker;
use burrow::ops::setup::{create_owner, NewOwner};
use burrow::state::{AppState, KeyGen};
use burrow::store::accounts::Account;
use burrow::store::inbox::InboxJob;
use burrow::store::Store;
use burrow::urls::Urls;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::sync::OnceLock;

const OWNER_BASE: &str = "http://localhost:7000";

/// The signers an input may speak as: two accounts on one peer (so one
/// can try to speak for the other) and one on another peer.
const SIGNERS: [(&str, &str); 3] = [
    ("peer", "localhost:7001"),
    ("mallory", "localhost:7001"),
    ("carol", "localhost:7002"),
];

struct World {
    rt: tokio::runtime::Runtime,
    state: AppState,
    signer_ids: Vec<u64>,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let mut config = Config::default();
        config.server.public_url = OWNER_BASE.into();
        config.federation.allow_private_network = false;
        let store = Store::temporary().expect("temporary store");
        let urls = Urls::new(OWNER_BASE);
        let new = NewOwner {
            username: "alice".into(),
            display_name: "Alice".into(),
            password: "correct horse battery".into(),
        };
        create_owner(&store, &urls, &new, KeyGen::Seeded(1).generate()).expect("owner");
        let mut signer_ids = Vec::new();
        for (name, host) in SIGNERS {
            let base = format!("http://{host}/users/{name}");
            let account = Account {
                id: store.next_id(),
                username: name.into(),
                domain: Some(host.into()),
                uri: base.clone(),
                url: format!("http://{host}/@{name}"),
                display_name: name.into(),
                inbox: format!("{base}/inbox"),
                shared_inbox: format!("http://{host}/inbox"),
                outbox: format!("{base}/outbox"),
                followers_url: format!("{base}/followers"),
                following_url: format!("{base}/following"),
                public_key_id: format!("{base}#main-key"),
                fetched_at_ms: burrow::time_fmt::now_ms(),
                ..Default::default()
            };
            store.put_account(&account).expect("peer account");
            signer_ids.push(account.id);
        }
        let state = AppState::new(config, std::env::temp_dir(), store, KeyGen::Seeded(1));
        World {
            rt,
            state,
            signer_ids,
        }
    })
}

/// Whether fetching `s`, were the intake to try, stays on this machine:
/// no host at all, `localhost`, or a non-public address literal.
fn stays_local(s: &str) -> bool {
    let Ok(u) = url::Url::parse(s) else {
        return true;
    };
    match u.host() {
        None => true,
        Some(url::Host::Domain(d)) => d.is_empty() || d == "localhost",
        Some(url::Host::Ipv4(ip)) => !is_public_ip(ip.into()),
        Some(url::Host::Ipv6(ip)) => !is_public_ip(ip.into()),
    }
}

fn all_local(v: &Value) -> bool {
    match v {
        Value::String(s) => stays_local(s),
        Value::Array(a) => a.iter().all(all_local),
        Value::Object(o) => o.iter().all(|(k, v)| stays_local(k) && all_local(v)),
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    // Unparseable JSON is refused before anything is fetched.
    if serde_json::from_slice::<Value>(body).is_ok_and(|v| !all_local(&v)) {
        return;
    }
    let w = world();
    let signer_id = w
        .signer_ids
        .get(usize::from(selector) % w.signer_ids.len())
        .copied()
        .unwrap_or_default();
    let job = InboxJob {
        id: w.state.store.next_id(),
        signer_id,
        body: body.to_vec(),
        attempts: 0,
    };
    w.rt.block_on(inbox_worker::apply(&w.state, job));
});
