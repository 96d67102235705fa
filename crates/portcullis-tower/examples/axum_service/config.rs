//! The service's settings (the table in `main.rs`'s header): working defaults,
//! then a JSON file, then environment variables.

use portcullis::ratelimit::Rate;
use serde::Deserialize;

use crate::BoxError;
use crate::jwks::RemoteIssuerConfig;

/// Where the shared state lives when it is not in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RedisTarget {
    /// One server (`REDIS_URL`).
    Server(String),
    /// A Redis Cluster reached through any of these nodes (`REDIS_CLUSTER_NODES`).
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// The setting it came from, for startup errors (which never name a URL).
    pub(crate) fn setting(&self) -> &'static str {
        match self {
            Self::Server(_) => "REDIS_URL",
            Self::Cluster(_) => "REDIS_CLUSTER_NODES",
        }
    }
}

/// Django 5's argon2 hasher output for `correct horse battery staple` (low cost:
/// the first login upgrades it to the preferred parameters).
const ALICE_HASH: &str = "argon2$argon2id$v=19$m=64,t=1,p=1$aWY3YzVWN1lldU8wcjh5ZWI5VE55ZQ$uDOMPPglzgP7pdsyT7pxxjcRDzXnUiLh8KViAVu2ZHQ";
/// Django 5's `pbkdf2_sha256` output for the same password (1,000 iterations).
const BOB_HASH: &str =
    "pbkdf2_sha256$1000$x0IZhPsqhXFuzfyVa4I9Yq$6FeLpTZxyyl6aBMMx7PsQqrMfTzkBPrjUj3x2W7Gt70=";

/// The service's settings: defaults, then the JSON file, then the environment.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    pub(crate) listen: String,
    pub(crate) redis_url: Option<String>,
    pub(crate) redis_cluster_nodes: Vec<String>,
    pub(crate) redis_prefix: String,
    pub(crate) rate_limit_failure: String,
    pub(crate) instance: String,
    pub(crate) jwt_secret: Option<String>,
    pub(crate) sealed_keys: Option<String>,
    pub(crate) audit_key: Option<String>,
    pub(crate) audit_capacity: usize,
    pub(crate) login_rate: String,
    pub(crate) api_rate: String,
    pub(crate) cors_origins: Vec<String>,
    pub(crate) cookie_secure: bool,
    pub(crate) users: Vec<UserConfig>,
    pub(crate) remote_issuer: Option<RemoteIssuerConfig>,
    /// `simplejwt` or `bearer` (`app::ResponseShape`).
    pub(crate) response_shape: String,
    /// The `user` fields of a bearer-shaped login.
    pub(crate) user_fields: Vec<String>,
    /// The `Cross-Origin-Opener-Policy` sent on every answer.
    pub(crate) cross_origin_opener_policy: String,
    /// Start despite error-level findings of the deployment check (development only).
    pub(crate) allow_deploy_errors: bool,
    /// The bearer token `/metrics` asks for; without one it answers loopback peers only.
    pub(crate) metrics_token: Option<String>,
}

/// One account of the demo user table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserConfig {
    pub(crate) username: String,
    pub(crate) password_hash: String,
    #[serde(default)]
    pub(crate) note: String,
    /// Fields a bearer-shaped login may show (with `username`).
    #[serde(default)]
    pub(crate) profile: serde_json::Map<String, serde_json::Value>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8000".into(),
            redis_url: None,
            redis_cluster_nodes: Vec::new(),
            redis_prefix: "portcullis:".into(),
            rate_limit_failure: "closed".into(),
            instance: "axum-1".into(),
            jwt_secret: None,
            sealed_keys: None,
            audit_key: None,
            audit_capacity: 100_000,
            login_rate: "10/m".into(),
            api_rate: "300/m".into(),
            cors_origins: vec!["http://localhost:3000".into()],
            cookie_secure: false,
            users: vec![
                UserConfig {
                    username: "alice".into(),
                    password_hash: ALICE_HASH.into(),
                    note: "alice's recovery codes: 4821-0937".into(),
                    profile: demo_profile(1, "alice@example.com"),
                },
                UserConfig {
                    username: "bob".into(),
                    password_hash: BOB_HASH.into(),
                    note: "bob's API token: tok_demo_bob".into(),
                    profile: demo_profile(2, "bob@example.com"),
                },
            ],
            remote_issuer: None,
            response_shape: "simplejwt".into(),
            user_fields: vec!["id".into(), "username".into(), "email".into()],
            cross_origin_opener_policy: "same-origin".into(),
            allow_deploy_errors: false,
            metrics_token: None,
        }
    }
}

/// A demo user's `profile`: an id and an email, as a Django user row has.
fn demo_profile(id: u64, email: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut profile = serde_json::Map::new();
    profile.insert("id".into(), id.into());
    profile.insert("email".into(), email.into());
    profile
}

impl Config {
    /// Defaults, then the file, then the environment.
    pub(crate) fn load(path: Option<&str>) -> Result<Self, BoxError> {
        let path = path
            .map(str::to_owned)
            .or_else(|| std::env::var("PORTCULLIS_CONFIG").ok());
        let mut config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("config file {path}: {e}"))?;
                serde_json::from_str(&text).map_err(|e| format!("config file {path}: {e}"))?
            }
            None => Self::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if let Some(v) = env("PORTCULLIS_LISTEN") {
            config.listen = v;
        }
        if let Some(v) = env("REDIS_URL") {
            config.redis_url = Some(v);
        }
        if let Some(v) = env("REDIS_CLUSTER_NODES") {
            config.redis_cluster_nodes = v.split(',').map(|s| s.trim().to_owned()).collect();
        }
        if let Some(v) = env("PORTCULLIS_REDIS_PREFIX") {
            config.redis_prefix = v;
        }
        if let Some(v) = env("PORTCULLIS_RATE_LIMIT_FAILURE") {
            config.rate_limit_failure = v;
        }
        if let Some(v) = env("PORTCULLIS_INSTANCE") {
            config.instance = v;
        }
        if let Some(v) = env("PORTCULLIS_JWT_SECRET") {
            config.jwt_secret = Some(v);
        }
        if let Some(v) = env("PORTCULLIS_SEALED_KEYS") {
            config.sealed_keys = Some(v);
        }
        if let Some(v) = env("PORTCULLIS_AUDIT_KEY") {
            config.audit_key = Some(v);
        }
        if let Some(v) = env("PORTCULLIS_AUDIT_CAPACITY") {
            config.audit_capacity = v
                .parse()
                .map_err(|_| "PORTCULLIS_AUDIT_CAPACITY: expected a number of records")?;
        }
        if let Some(v) = env("PORTCULLIS_LOGIN_RATE") {
            config.login_rate = v;
        }
        if let Some(v) = env("PORTCULLIS_API_RATE") {
            config.api_rate = v;
        }
        if let Some(v) = env("PORTCULLIS_CORS_ORIGINS") {
            config.cors_origins = v.split(',').map(|s| s.trim().to_owned()).collect();
        }
        if let Some(v) = env("PORTCULLIS_COOKIE_SECURE") {
            config.cookie_secure = flag("PORTCULLIS_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = env("PORTCULLIS_CROSS_ORIGIN_OPENER_POLICY") {
            config.cross_origin_opener_policy = v;
        }
        if let Some(v) = env("PORTCULLIS_ALLOW_DEPLOY_ERRORS") {
            config.allow_deploy_errors = flag("PORTCULLIS_ALLOW_DEPLOY_ERRORS", &v)?;
        }
        if let Some(v) = env("PORTCULLIS_METRICS_TOKEN") {
            config.metrics_token = Some(v);
        }
        config.remote_issuer = RemoteIssuerConfig::with_env(config.remote_issuer.take(), env)?;
        if let Some(v) = env("PORTCULLIS_RESPONSE_SHAPE") {
            config.response_shape = v;
        }
        if let Some(v) = env("PORTCULLIS_USER_FIELDS") {
            config.user_fields = v.split(',').map(|s| s.trim().to_owned()).collect();
        }
        // Refused here, before anything connects: which one was meant is unknowable.
        config.redis()?;
        Ok(config)
    }

    /// Where the shared state lives: `None` for this process's memory.
    ///
    /// # Errors
    /// Both `redis_url` and `redis_cluster_nodes` set, or an empty node in the
    /// list. The message names the settings, never a URL (it may hold a password).
    pub(crate) fn redis(&self) -> Result<Option<RedisTarget>, BoxError> {
        match (&self.redis_url, self.redis_cluster_nodes.as_slice()) {
            (None, []) => Ok(None),
            (Some(_), [_, ..]) => Err("REDIS_URL and REDIS_CLUSTER_NODES (redis_url and \
                 redis_cluster_nodes) are both set; set one: a single server or a cluster"
                .into()),
            (Some(url), []) => Ok(Some(RedisTarget::Server(url.clone()))),
            (None, nodes) => {
                if nodes.iter().any(String::is_empty) {
                    return Err("REDIS_CLUSTER_NODES: an empty entry; expected \
                         comma-separated redis://host:port URLs"
                        .into());
                }
                Ok(Some(RedisTarget::Cluster(nodes.to_vec())))
            }
        }
    }

    pub(crate) fn rate(name: &str, text: &str) -> Result<Rate, BoxError> {
        text.parse().map_err(|e| format!("{name}: {e}").into())
    }
}

/// A boolean environment variable: `true`/`1` or `false`/`0`.
fn flag(name: &str, value: &str) -> Result<bool, BoxError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(format!("{name}: expected true or false").into()),
    }
}
