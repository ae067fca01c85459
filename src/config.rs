//! Settings: `burrow.toml` in the data directory, overridden by `BURROW_*`
//! environment variables and command-line flags (in that order).
//!
//! The file is strict on purpose: an unknown key is almost always a typo
//! that would otherwise silently leave a default in force.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Name of the settings file inside the data directory.
pub const CONFIG_FILE: &str = "burrow.toml";
/// Where `cargo run --release` keeps its data.
pub const DEFAULT_DATA_DIR: &str = "burrow-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";
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
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port the HTTP server binds.
    pub listen: SocketAddr,
    /// The URL the world reaches this server at; part of every identity
    /// (`@name@host`), so it must not change once others follow you.
    pub public_url: String,
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

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN.parse().expect("default listen address"),
            public_url: DEFAULT_PUBLIC_URL.to_string(),
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
"#,
            listen = self.server.listen,
            public_url = self.server.public_url,
            cache = self.storage.cache_mib,
            private = self.federation.allow_private_network,
            authorized = self.federation.authorized_fetch,
        )
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
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("cannot write in it ({e})")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_file_round_trips() {
        let c = Config::default();
        let parsed = Config::parse(&c.to_documented_toml(), Path::new("x")).unwrap();
        assert_eq!(parsed, c);
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
