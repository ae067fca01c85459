//! Settings: `burrow.toml` in the data directory, overridden by `BURROW_*`
//! environment variables and command-line flags (in that order).
//!
//! The file is strict on purpose: an unknown key is almost always a typo
//! that would otherwise silently leave a default in force.

use crate::proxy_trust::TrustedProxies;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Name of the settings file inside the data directory.
pub const CONFIG_FILE: &str = "burrow.toml";
/// Where `cargo run --release` keeps its data.
pub const DEFAULT_DATA_DIR: &str = "burrow-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";
/// Where certificates come from when `acme_directory` is not set.
pub const DEFAULT_ACME_DIRECTORY: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// sled's own default is 1 GiB, far too much for a Pi Zero 2 W. sled
/// counts a page at its size on disk, while it holds it decoded in memory
/// at about twice that, so resident memory grows by more than this. On a
/// year-sized store, paging once through the home timeline left 75 MB
/// resident with 16 MiB and 60 MB with 4 MiB, while a hot home timeline
/// page cost 7% more instructions (more pages read again from the file,
/// which the kernel keeps cached).
pub const DEFAULT_CACHE_MIB: u64 = 4;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub federation: FederationConfig,
    pub backup: BackupConfig,
    pub prune: PruneConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port the HTTP server binds.
    pub listen: SocketAddr,
    /// The URL the world reaches this server at; part of every identity
    /// (`@name@host`), so it must not change once others follow you.
    pub public_url: String,
    /// Reverse proxies (addresses or networks) whose `X-Forwarded-For` and
    /// `X-Forwarded-Proto` are believed; nobody's by default.
    pub trusted_proxies: TrustedProxies,
    /// A PEM certificate chain to serve HTTPS with, on `listen`. Set with
    /// `tls_key`, or leave both out (plain HTTP, or ACME).
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// A second, plain-HTTP listener while Burrow serves HTTPS itself: it
    /// answers ACME HTTP-01 challenges and redirects everything else to
    /// the public URL (usually `0.0.0.0:80`).
    pub http_listen: Option<SocketAddr>,
    /// Get and renew a certificate for this domain automatically over
    /// ACME; the domain of `public_url`.
    pub acme_domain: Option<String>,
    /// Contact address given to the certificate authority (optional).
    pub acme_email: Option<String>,
    /// The ACME directory URL [default: Let's Encrypt's production].
    pub acme_directory: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// sled page cache in MiB. The dominant part of resident memory.
    pub cache_mib: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FederationConfig {
    /// Fetch from and deliver to loopback and private addresses. Only for
    /// tests and local multi-instance setups; a public server never needs it.
    pub allow_private_network: bool,
    /// Require a signed GET for every ActivityPub document.
    pub authorized_fetch: bool,
}

/// Automatic daily backups (`ops::backup::run`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Where daily backups go; none are made without it. Best on another
    /// disk than the data directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
    /// How many daily backups to keep; older ones are removed.
    pub keep: usize,
}

/// Backups kept unless `[backup] keep` says otherwise: a week.
pub const DEFAULT_BACKUP_KEEP: usize = 7;

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            dir: None,
            keep: DEFAULT_BACKUP_KEEP,
        }
    }
}

/// Forgetting remote content nobody interacted with (`ops::prune`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PruneConfig {
    /// Remote posts, accounts and cached documents older than this many
    /// days, that nothing keeps, are removed.
    pub max_age_days: u32,
    /// Prune once a day inside the server.
    pub daily: bool,
}

/// A month: long enough to read a busy timeline, short enough for a card.
pub const DEFAULT_PRUNE_DAYS: u32 = 30;

impl Default for PruneConfig {
    fn default() -> Self {
        PruneConfig {
            max_age_days: DEFAULT_PRUNE_DAYS,
            daily: true,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN.parse().expect("default listen address"),
            public_url: DEFAULT_PUBLIC_URL.to_string(),
            trusted_proxies: TrustedProxies::default(),
            tls_cert: None,
            tls_key: None,
            http_listen: None,
            acme_domain: None,
            acme_email: None,
            acme_directory: None,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            cache_mib: DEFAULT_CACHE_MIB,
        }
    }
}

/// What went wrong while reading or checking settings. Each message names
/// the file or key and says how to fix it, on one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{file}: line {line}: {message}; fix or remove it (every key is documented in the README)"
    )]
    Malformed {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot read {file}: {source}; check its permissions")]
    Unreadable {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("data directory {dir} is not usable: {reason}; fix that (or its permissions) or pick another with --data-dir")]
    DataDir { dir: PathBuf, reason: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// Values given on the command line or through `BURROW_*` variables; each
/// `Some` replaces what the file says.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub allow_private_network: Option<bool>,
    pub cache_mib: Option<u64>,
}

impl Config {
    /// Reads `D/burrow.toml` when it exists (defaults otherwise), applies
    /// the overrides and checks the result.
    pub fn load(data_dir: &Path, overrides: &Overrides) -> Result<Config, ConfigError> {
        let file = data_dir.join(CONFIG_FILE);
        let mut config = match std::fs::read_to_string(&file) {
            Ok(text) => Config::parse(&text, &file)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Config::default(),
            // A data directory that is a file, or lies under one, fails
            // here first; name the directory, not the settings file.
            Err(_) if cannot_be_a_directory(data_dir) => {
                return Err(ConfigError::DataDir {
                    dir: data_dir.to_path_buf(),
                    reason: "it, or a folder above it, is a regular file".to_string(),
                })
            }
            Err(source) => return Err(ConfigError::Unreadable { file, source }),
        };
        config.apply(overrides);
        config.validate()?;
        Ok(config)
    }

    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| {
                    text.as_bytes()[..s.start.min(text.len())]
                        .iter()
                        .filter(|&&b| b == b'\n')
                        .count()
                        + 1
                })
                .unwrap_or(1);
            ConfigError::Malformed {
                file: file.to_path_buf(),
                line,
                message: e.message().replace('\n', " "),
            }
        })
    }

    pub fn apply(&mut self, o: &Overrides) {
        if let Some(v) = o.listen {
            self.server.listen = v;
        }
        if let Some(v) = &o.public_url {
            self.server.public_url = v.clone();
        }
        if let Some(v) = o.allow_private_network {
            self.federation.allow_private_network = v;
        }
        if let Some(v) = o.cache_mib {
            self.storage.cache_mib = v;
        }
    }

    pub fn validate(&mut self) -> Result<(), ConfigError> {
        self.server.public_url = normalize_public_url(&self.server.public_url)?;
        if self.storage.cache_mib == 0 || self.storage.cache_mib > 4096 {
            return Err(ConfigError::Invalid {
                key: "storage.cache_mib",
                message: format!(
                    "{} MiB is out of range; use 1 to 4096 (4 suits a Pi)",
                    self.storage.cache_mib
                ),
            });
        }
        if self.backup.keep == 0 || self.backup.keep > 1000 {
            return Err(ConfigError::Invalid {
                key: "backup.keep",
                message: format!("{} is out of range; use 1 to 1000", self.backup.keep),
            });
        }
        if self.prune.max_age_days == 0 {
            return Err(ConfigError::Invalid {
                key: "prune.max_age_days",
                message: "0 would prune what just arrived; use at least 1 (30 is the default)"
                    .into(),
            });
        }
        self.server.validate_tls()?;
        Ok(())
    }

    /// The documented file `burrow init` writes.
    pub fn to_documented_toml(&self) -> String {
        format!(
            r#"# Burrow settings. Flags and BURROW_* environment variables override
# these values (see the README). Unknown keys are refused at start-up.

[server]
# Address and port to listen on. Put a TLS reverse proxy in front of it
# for a public server. (flag --listen, env BURROW_LISTEN)
listen = "{listen}"
# The address the world reaches this server at. It is part of your
# identity (@name@host): do not change it once people follow you.
# (flag --public-url, env BURROW_PUBLIC_URL)
public_url = "{public_url}"
# Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are
# believed (addresses or networks); nobody else's are.
# trusted_proxies = ["127.0.0.1", "::1"]
# HTTPS without a proxy, from certificate files (PEM) ...
# tls_cert = "/etc/burrow/fullchain.pem"
# tls_key = "/etc/burrow/privkey.pem"
# ... or from Let's Encrypt, renewed automatically (listen on port 443):
{acme_domain}
{acme_email}
# With HTTPS on, this plain listener answers certificate challenges and
# redirects everything else to https://:
{http_listen}

[storage]
# Page cache of the embedded database, in MiB. Most of Burrow's memory;
# 4 is plenty for one person. (flag --cache-mib, env BURROW_CACHE_MIB)
cache_mib = {cache}

[federation]
# Allow fetching from and delivering to loopback and private network
# addresses. Only for tests and local setups; keep it off in production.
# (flag --allow-private-network, env BURROW_ALLOW_PRIVATE_NETWORK)
allow_private_network = {private}
# Require signed requests for every ActivityPub document ("secure mode").
authorized_fetch = {authorized}

[backup]
# A directory for automatic daily backups (none without it), best on
# another disk. `burrow backup` makes one by hand at any time.
# dir = "/var/backups/burrow"
# How many daily backups to keep.
keep = {backup_keep}

[prune]
# Remote posts and accounts nobody interacted with are forgotten after
# this many days (the owner's posts and everything they touched stay).
max_age_days = {prune_days}
# Prune once a day in the server; `burrow prune` shows what would go.
daily = {prune_daily}
"#,
            listen = self.server.listen,
            public_url = self.server.public_url,
            acme_domain = live_or_example(
                "acme_domain",
                self.server.acme_domain.as_deref(),
                "example.net"
            ),
            acme_email = live_or_example(
                "acme_email",
                self.server.acme_email.as_deref(),
                "you@example.net"
            ),
            http_listen = live_or_example(
                "http_listen",
                self.server.http_listen.map(|a| a.to_string()).as_deref(),
                "0.0.0.0:80",
            ),
            cache = self.storage.cache_mib,
            private = self.federation.allow_private_network,
            authorized = self.federation.authorized_fetch,
            backup_keep = self.backup.keep,
            prune_days = self.prune.max_age_days,
            prune_daily = self.prune.daily,
        )
    }
}

impl ServerConfig {
    /// Whether Burrow itself serves HTTPS (certificate files or ACME).
    pub fn tls_enabled(&self) -> bool {
        self.tls_cert.is_some() || self.acme_domain.is_some()
    }

    /// The ACME directory to ask for certificates.
    pub fn acme_directory(&self) -> &str {
        self.acme_directory
            .as_deref()
            .unwrap_or(DEFAULT_ACME_DIRECTORY)
    }

    /// The TLS settings agree with each other and with the public URL.
    /// Runs after `public_url` is normalised.
    fn validate_tls(&self) -> Result<(), ConfigError> {
        let bad = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_string(),
            })
        };
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return bad(
                "server.tls_cert",
                "tls_cert and tls_key go together; set both, or neither",
            );
        }
        if self.tls_cert.is_some() && self.acme_domain.is_some() {
            return bad(
                "server.acme_domain",
                "a certificate comes either from files (tls_cert, tls_key) or from ACME (acme_domain); remove one",
            );
        }
        if !self.tls_enabled() {
            if self.http_listen.is_some() {
                return bad(
                    "server.http_listen",
                    "the plain listener only redirects to HTTPS when Burrow serves HTTPS itself; set tls_cert and tls_key or acme_domain, or remove http_listen",
                );
            }
            return Ok(());
        }
        let public = url::Url::parse(&self.public_url).ok();
        if public.as_ref().map(|u| u.scheme()) != Some("https") {
            return bad(
                "server.public_url",
                "Burrow serves HTTPS here, so public_url must start with https://",
            );
        }
        if let Some(domain) = &self.acme_domain {
            let host = public.as_ref().and_then(|u| u.host_str()).unwrap_or("");
            let same = crate::host::normalize(domain).is_some()
                && crate::host::normalize(domain) == crate::host::normalize(host);
            if !same {
                return Err(ConfigError::Invalid {
                    key: "server.acme_domain",
                    message: format!(
                        "`{domain}` is not the host of public_url ({host}); the certificate must name the address people reach"
                    ),
                });
            }
            // Plain http only to this machine: a test CA, never a real one
            // whose answers could be changed on the way.
            let dir = url::Url::parse(self.acme_directory()).ok();
            let loopback = dir
                .as_ref()
                .and_then(|u| u.host())
                .is_some_and(|h| match h {
                    url::Host::Domain(d) => d == "localhost",
                    url::Host::Ipv4(ip) => ip.is_loopback(),
                    url::Host::Ipv6(ip) => ip.is_loopback(),
                });
            match dir.as_ref().map(|u| u.scheme()) {
                Some("https") => {}
                Some("http") if loopback => {}
                _ => {
                    return bad(
                        "server.acme_directory",
                        "must be the https:// URL of an ACME directory",
                    )
                }
            }
        }
        Ok(())
    }
}

/// `key = "value"` when set, else the same line commented out with an
/// example value.
fn live_or_example(key: &str, value: Option<&str>, example: &str) -> String {
    match value {
        Some(v) => format!("{key} = {}", toml::Value::String(v.to_string())),
        None => format!("# {key} = \"{example}\""),
    }
}

/// `https://example.net/` → `https://example.net`; refuses paths, queries
/// and other schemes, since actor URLs are built by appending to it.
pub fn normalize_public_url(raw: &str) -> Result<String, ConfigError> {
    let bad = |message: String| ConfigError::Invalid {
        key: "server.public_url",
        message,
    };
    let url = url::Url::parse(raw.trim()).map_err(|e| {
        bad(format!(
            "`{raw}` is not a URL ({e}); use e.g. https://example.net"
        ))
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(format!("`{raw}` must start with https:// or http://")));
    }
    if url.host_str().is_none() {
        return Err(bad(format!("`{raw}` has no host name")));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "`{raw}` must be just scheme and host (and port), without a path"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// True when `dir` is a file, or its nearest existing ancestor is one, so
/// it can never be a data directory.
fn cannot_be_a_directory(dir: &Path) -> bool {
    dir.ancestors()
        .find(|a| a.exists())
        .is_some_and(|a| !a.is_dir())
}

/// Creates the data directory if needed and proves it is writable.
pub fn prepare_data_dir(dir: &Path) -> Result<(), ConfigError> {
    let fail = |reason: String| ConfigError::DataDir {
        dir: dir.to_path_buf(),
        reason,
    };
    // A directory made here is the owner's alone (keys, tokens, the admin
    // socket live in it); one that exists keeps the mode its owner chose.
    if !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| fail(e.to_string()))?;
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("cannot write in it ({e})")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_data_directory_is_the_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("new").join("data");
        prepare_data_dir(&dir).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn documented_file_round_trips() {
        let c = Config::default();
        let parsed = Config::parse(&c.to_documented_toml(), Path::new("x")).unwrap();
        assert_eq!(parsed, c);
    }

    #[test]
    fn documented_file_keeps_acme_settings() {
        let mut c = Config::default();
        c.server.public_url = "https://a.example".into();
        c.server.listen = "0.0.0.0:443".parse().unwrap();
        c.server.acme_domain = Some("a.example".into());
        c.server.acme_email = Some("me@a.example".into());
        c.server.http_listen = Some("0.0.0.0:80".parse().unwrap());
        let mut parsed = Config::parse(&c.to_documented_toml(), Path::new("x")).unwrap();
        assert_eq!(parsed, c);
        parsed.validate().unwrap();
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = Config::parse(
            "[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n",
            Path::new("d/burrow.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("d/burrow.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("lisen"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }

    fn with(text: &str) -> Result<Config, ConfigError> {
        let mut c = Config::parse(text, Path::new("burrow.toml"))?;
        c.validate()?;
        Ok(c)
    }

    #[test]
    fn tls_settings_must_agree() {
        let https = "[server]\npublic_url = \"https://a.example\"\n";
        assert!(with(&format!("{https}tls_cert = \"c.pem\"\n")).is_err());
        assert!(with(&format!(
            "{https}tls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n"
        ))
        .is_ok());
        let err = with("[server]\ntls_cert = \"c\"\ntls_key = \"k\"\n").unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(with(&format!("{https}acme_domain = \"b.example\"\n")).is_err());
        assert!(with(&format!("{https}acme_domain = \"A.example\"\n")).is_ok());
        assert!(with(&format!(
            "{https}acme_domain = \"a.example\"\ntls_cert = \"c\"\ntls_key = \"k\"\n"
        ))
        .is_err());
        assert!(with(&format!(
            "{https}acme_domain = \"a.example\"\nacme_directory = \"http://ca.example/dir\"\n"
        ))
        .is_err());
        assert!(with(&format!(
            "{https}acme_domain = \"a.example\"\nacme_directory = \"http://127.0.0.1:14000/dir\"\n"
        ))
        .is_ok());
        assert!(with("[server]\nhttp_listen = \"0.0.0.0:80\"\n").is_err());
        let err = with("[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"nope\"]\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    #[test]
    fn public_url_is_normalised_and_checked() {
        assert_eq!(
            normalize_public_url("https://a.example/").unwrap(),
            "https://a.example"
        );
        assert_eq!(
            normalize_public_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_public_url("ftp://a.example").is_err());
        assert!(normalize_public_url("https://a.example/sub").is_err());
        assert!(normalize_public_url("nonsense").is_err());
    }
}
