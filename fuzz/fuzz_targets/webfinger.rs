//! WebFinger `resource` parsing: `acct:user@host`, `user@host`, and the
//! server's own actor and profile URLs.
#![no_main]

use burrow::config::Config;
use burrow::http::wellknown::resource_username;
use burrow::state::{AppState, KeyGen};
use burrow::store::Store;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn state() -> &'static AppState {
    static STATE: OnceLock<AppState> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut config = Config::default();
        config.server.public_url = "https://burrow.example".into();
        let store = Store::temporary().expect("temporary store");
        AppState::new(config, std::env::temp_dir(), store, KeyGen::Seeded(1))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(resource) = std::str::from_utf8(data) else {
        return;
    };
    let _ = resource_username(state(), resource);
    let _ = resource_username(state(), resource.trim());
});
