//! Every URL Burrow mints for itself, built in one place from the
//! configured public URL. Peers store these forever: change none lightly.

/// The server's public address and the URL layout under it.
#[derive(Clone, Debug)]
pub struct Urls {
    /// `https://example.net` (no trailing slash).
    pub base: String,
    /// `example.net` or `127.0.0.1:8080`: the host in `@name@host`.
    pub host: String,
}

impl Urls {
    /// `base` must already be normalised (see `config::normalize_public_url`).
    pub fn new(base: &str) -> Urls {
        let host = url::Url::parse(base)
            .ok()
            .and_then(|u| {
                let h = u.host_str()?.to_string();
                Some(match u.port() {
                    Some(p) => format!("{h}:{p}"),
                    None => h,
                })
            })
            .unwrap_or_default();
        Urls {
            base: base.trim_end_matches('/').to_string(),
            host,
        }
    }

    pub fn https(&self) -> bool {
        self.base.starts_with("https://")
    }

    pub fn actor(&self, username: &str) -> String {
        format!("{}/users/{}", self.base, username)
    }
    pub fn key_id(&self, username: &str) -> String {
        format!("{}#main-key", self.actor(username))
    }
    pub fn profile(&self, username: &str) -> String {
        format!("{}/@{}", self.base, username)
    }
    pub fn inbox(&self, username: &str) -> String {
        format!("{}/inbox", self.actor(username))
    }
    pub fn shared_inbox(&self) -> String {
        format!("{}/inbox", self.base)
    }
    pub fn outbox(&self, username: &str) -> String {
        format!("{}/outbox", self.actor(username))
    }
    pub fn followers(&self, username: &str) -> String {
        format!("{}/followers", self.actor(username))
    }
    pub fn following(&self, username: &str) -> String {
        format!("{}/following", self.actor(username))
    }
    pub fn featured(&self, username: &str) -> String {
        format!("{}/collections/featured", self.actor(username))
    }
    pub fn featured_tags(&self, username: &str) -> String {
        format!("{}/collections/tags", self.actor(username))
    }
    /// ActivityPub id of a local status.
    pub fn status(&self, username: &str, id: u64) -> String {
        format!("{}/statuses/{}", self.actor(username), id)
    }
    /// HTML permalink of a local status.
    pub fn status_page(&self, username: &str, id: u64) -> String {
        format!("{}/{}", self.profile(username), id)
    }
    pub fn tag(&self, tag: &str) -> String {
        format!("{}/tags/{}", self.base, tag)
    }
    /// A stored media file (original or thumbnail) by its file name.
    pub fn media(&self, file: &str) -> String {
        format!("{}/media/{}", self.base, file)
    }
    pub fn setup(&self, token: &str) -> String {
        format!("{}/setup?token={}", self.base, token)
    }
    /// Where remote people's "follow" buttons send the owner.
    pub fn authorize_interaction_template(&self) -> String {
        format!("{}/authorize_interaction?uri={{uri}}", self.base)
    }
    pub fn default_avatar(&self) -> String {
        format!("{}/static/avatar.png", self.base)
    }
    pub fn default_header(&self) -> String {
        format!("{}/static/header.png", self.base)
    }
    /// A quote approval stamp the owner granted.
    pub fn quote_authorization(&self, username: &str, id: u64) -> String {
        format!("{}/quote_authorizations/{}", self.actor(username), id)
    }
    /// The owner's followers on one host (FEP-8fcf).
    pub fn followers_synchronization(&self, username: &str) -> String {
        format!("{}/followers_synchronization", self.actor(username))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keeps_the_port() {
        assert_eq!(Urls::new("http://127.0.0.1:8080").host, "127.0.0.1:8080");
        assert_eq!(Urls::new("https://me.example").host, "me.example");
        assert_eq!(
            Urls::new("https://me.example").actor("me"),
            "https://me.example/users/me"
        );
    }
}
