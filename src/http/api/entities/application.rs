//! `Application` and `CredentialApplication`.

use crate::store::oauth::App;
use serde::Serialize;

/// Placeholder until the handler fills in the server's VAPID key (it
/// lives in the store; see `push::vapid::public_key`).
pub const VAPID_KEY: &str = "";

#[derive(Serialize, Debug)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    /// Deprecated by Mastodon in favour of `redirect_uris`, still read by
    /// older apps: the URIs joined by newlines.
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    pub vapid_key: String,
}

/// What `POST /api/v1/apps` answers: the only time the secret is shown.
#[derive(Serialize, Debug)]
pub struct CredentialApplication {
    #[serde(flatten)]
    pub app: Application,
    pub client_id: String,
    pub client_secret: String,
    /// 0: secrets never expire.
    pub client_secret_expires_at: i64,
}

pub fn application(app: &App) -> Application {
    Application {
        id: app.id.to_string(),
        name: app.name.clone(),
        website: app.website.clone(),
        scopes: app.scopes.clone(),
        redirect_uri: app.redirect_uris.join("\n"),
        redirect_uris: app.redirect_uris.clone(),
        vapid_key: VAPID_KEY.to_string(),
    }
}

pub fn credential_application(app: &App, client_secret: &str) -> CredentialApplication {
    CredentialApplication {
        app: application(app),
        client_id: app.client_id.clone(),
        client_secret: client_secret.to_string(),
        client_secret_expires_at: 0,
    }
}
