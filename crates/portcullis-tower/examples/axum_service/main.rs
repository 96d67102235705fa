//! A small, complete axum service on portcullis: SimpleJWT-shaped login, refresh
//! with rotation and reuse detection, verify, logout, logout everywhere; a cookie
//! flow with CSRF; a protected endpoint reading a sealed field; login lockout and
//! rate limits with 429 and the `RateLimit` headers; security headers; CORS; an
//! audit chain. State lives in memory, or in Redis when `REDIS_URL` (one server)
//! or `REDIS_CLUSTER_NODES` (a Redis Cluster) is set (portcullis-redis's async
//! stores, through portcullis-tower's `redis` feature), so several instances
//! share revocations, lockout and rate limits.
//!
//! ```text
//! cargo run -p portcullis-tower --example axum_service                  # http://127.0.0.1:8000
//! cargo run -p portcullis-tower --example axum_service -- --self-check  # ephemeral port, drives the flows, exits
//! REDIS_URL=redis://127.0.0.1:6379/0 cargo run -p portcullis-tower --example axum_service
//! REDIS_CLUSTER_NODES=redis://127.0.0.1:7000,redis://127.0.0.1:7001 cargo run -p portcullis-tower --example axum_service
//! ```
//!
//! | route | what |
//! | --- | --- |
//! | `GET /healthz` | instance name and state backend |
//! | `POST /api/token/` | `{username, password}` to `{access, refresh}` (SimpleJWT's obtain pair; with `response_shape` `bearer` also `token_type`, `expires_in`, `user`) |
//! | `POST /api/session/` | the same login for browsers: `__Host-access_token` (HttpOnly) and `__Host-csrftoken` cookies |
//! | `POST /api/token/refresh/` | `{refresh}` to a rotated pair (`bearer`: also `token_type`, `expires_in`); a replay revokes the family |
//! | `POST /api/token/verify/` | `{token}` to `{}` or 401 |
//! | `POST /api/token/blacklist/` | `{refresh}`: logout (the token and its family) |
//! | `POST /api/logout-everywhere/` | revokes every token of the caller issued so far |
//! | `GET /api/me/` | the caller, their sealed note, opened, and `last_login` (Unix seconds, set by each login: SimpleJWT's `UPDATE_LAST_LOGIN`) |
//! | `POST /api/me/note/` | `{note}`: sealed and stored; with cookie auth it needs `X-CSRFToken` |
//! | `GET /api/audit/` | the audit chain's length, verdict and actions |
//! | `GET /metrics` | the core's security counters in Prometheus text (loopback peers only, or any peer presenting `metrics_token` as a bearer token) |
//!
//! Login routes share the `login_rate` per client address and the lockout (5
//! failures per user and address, then backoff); the other `/api/` routes share
//! `api_rate`. Every answer carries the rate-limit and security headers.
//!
//! Built on portcullis-tower's layers (`http.rs`): security headers, CORS and
//! the rate limit around every route; CSRF and bearer/cookie authentication on
//! the routes that need a user; their state and the app's in one `Backend`
//! (`backend.rs`). What is left here is the app's own logic.
//!
//! With Redis, revocation and lockout fail closed (503, nothing of the cause,
//! while Redis is unreachable or slower than 250 ms); the rate limits fail
//! closed too unless `rate_limit_failure` is `open`. The connection comes back
//! by itself when Redis does. Run Redis with `appendonly yes`, or a restart
//! forgets every revocation.
//!
//! Operations (`deployment.rs`, `telemetry.rs`): at start the service maps
//! its configuration to Django's settings names, runs portcullis's deployment
//! check, logs every finding and refuses to start (exit 2) on an error-level one
//! unless `allow_deploy_errors`; the loopback defaults give warnings only.
//! Logs are JSON lines on stderr (the core's security events with target
//! `portcullis`, the findings, one outcome per request), each request inside
//! portcullis's request span (`client.ip`, `user.id`); no token, key or
//! password is ever written. `/metrics` labels never carry user input.
//!
//! Configuration: a JSON file (`--config PATH` or `PORTCULLIS_CONFIG`), then
//! environment variables, over working defaults (two demo users, `alice` with a
//! Django argon2 hash and `bob` with a Django `pbkdf2_sha256` hash, both of
//! `correct horse battery staple`). Keys not configured are generated at start:
//! tokens then do not survive a restart and are not shared between instances.
//!
//! | setting (JSON key) | environment variable | default |
//! | --- | --- | --- |
//! | `listen` | `PORTCULLIS_LISTEN` | `127.0.0.1:8000` |
//! | `redis_url` | `REDIS_URL` | none: in-memory state |
//! | `redis_cluster_nodes` (`["redis://host:port", ...]`): a Redis Cluster instead, reached through any of them; not with `redis_url` | `REDIS_CLUSTER_NODES` (comma-separated) | none |
//! | `redis_prefix` | `PORTCULLIS_REDIS_PREFIX` | `portcullis:` |
//! | `rate_limit_failure` (`closed`/`open`): what the rate limits answer when Redis fails | `PORTCULLIS_RATE_LIMIT_FAILURE` | `closed` (503) |
//! | `instance` | `PORTCULLIS_INSTANCE` | `axum-1` |
//! | `jwt_secret` (32+ bytes) | `PORTCULLIS_JWT_SECRET` | generated |
//! | `sealed_keys` (`kid:base64url`, ...) | `PORTCULLIS_SEALED_KEYS` | generated |
//! | `audit_key` (32+ bytes) | `PORTCULLIS_AUDIT_KEY` | generated |
//! | `login_rate` | `PORTCULLIS_LOGIN_RATE` | `10/m` |
//! | `api_rate` | `PORTCULLIS_API_RATE` | `300/m` |
//! | `cors_origins` | `PORTCULLIS_CORS_ORIGINS` (comma-separated) | `http://localhost:3000` |
//! | `cookie_secure` | `PORTCULLIS_COOKIE_SECURE` (`true`/`false`): requests arrive over HTTPS (the CSRF Referer check); cookies are `__Host-` and always `Secure` | `false` (plain HTTP on loopback) |
//! | `audit_capacity` | `PORTCULLIS_AUDIT_CAPACITY` | `100000` records (a full trail logs at error level and `/healthz` says `"audit": {"ok": false}`) |
//! | `users` (`[{username, password_hash, note, profile}]`; `profile`: the fields a bearer login may show) | none | alice (`id` 1), bob (`id` 2), with an `email` |
//! | `response_shape`: `simplejwt` (exactly SimpleJWT's `{access, refresh}`) or `bearer` (adds `"token_type": "Bearer"`, `expires_in` = the access lifetime in seconds, and on login `user`), for `POST /api/token/` and `POST /api/token/refresh/` | `PORTCULLIS_RESPONSE_SHAPE` | `simplejwt` |
//! | `user_fields`: the `user` fields of a bearer login (`username` or a `profile` key; a name with `password` is refused; every user must have each) | `PORTCULLIS_USER_FIELDS` (comma-separated) | `id`, `username`, `email` |
//! | `remote_issuer` (`{jwks_url, issuer, audience?}`): also accept access tokens another service signs (EdDSA, ES256/384, RS256, PS256), verified with the keys of its JWKS (`http://` only here: no TLS stack), fetched on an unknown `kid` (at most every 10 s) and at its `Cache-Control: max-age`; 503 `jwks_unavailable` until a first fetch succeeds | `PORTCULLIS_JWKS_URL` and `PORTCULLIS_REMOTE_ISSUER` (both), `PORTCULLIS_REMOTE_AUDIENCE` | none |
//! | `cross_origin_opener_policy` (`same-origin`, `same-origin-allow-popups`, `noopener-allow-popups`, `unsafe-none`) | `PORTCULLIS_CROSS_ORIGIN_OPENER_POLICY` | `same-origin` (`noopener-allow-popups` is Django's error E024: the start then needs `allow_deploy_errors`) |
//! | `allow_deploy_errors`: start despite error-level deployment findings (development only; off in production) | `PORTCULLIS_ALLOW_DEPLOY_ERRORS` (`true`/`false`) | `false` |
//! | `metrics_token`: the bearer token `/metrics` asks of any peer; without it `/metrics` answers loopback peers only (behind a reverse proxy on the same host, set it) | `PORTCULLIS_METRICS_TOKEN` | none |
//! | the log filter (`tracing-subscriber`'s `EnvFilter` syntax, e.g. `portcullis=debug,info`) | `RUST_LOG` | `info` (admitted requests and 429s, which have their own rate-limit or audit line, are logged at `debug`) |

mod app;
mod backend;
mod config;
mod deployment;
mod failures;
mod http;
mod jwks;
mod telemetry;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use portcullis::audit::AuditKey;
use portcullis::crypto::{SealedKey, SealedKeyset};
use portcullis::ratelimit::RateTable;
use portcullis::secret::SecretBytes;
use portcullis::token::{Algorithm, Keyring, SigningKey, TokenConfig, Tokens};
use portcullis::web::cors::CorsPolicy;
use portcullis::web::csrf::CsrfPolicy;
use portcullis_redis::FailureMode;
use portcullis_tower::{
    Authenticator, CorsLayer, CsrfLayer, RateLimiter, SecureRequest, SecurityStack,
};
use serde_json::json;

use app::{ACCESS_COOKIE, App, CSRF_COOKIE, Parts};
use backend::Backend;
use config::Config;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The demo users' password.
pub const DEMO_PASSWORD: &str = "correct horse battery staple";

impl Config {
    /// Builds the app and the layers around it.
    async fn build(self) -> Result<(Arc<App>, http::Layers, SocketAddr), BoxError> {
        let listen: SocketAddr = self
            .listen
            .parse()
            .map_err(|e| format!("listen {:?}: {e}; expected ip:port", self.listen))?;
        let login_rate = Self::rate("login_rate", &self.login_rate)?;
        let api_rate = Self::rate("api_rate", &self.api_rate)?;
        let rate_limit_failure = match self.rate_limit_failure.as_str() {
            "closed" => FailureMode::Closed,
            "open" => FailureMode::Open,
            _ => return Err("rate_limit_failure: expected closed or open".into()),
        };

        let jwt_secret = match &self.jwt_secret {
            Some(s) => SecretBytes::from_slice(s.as_bytes()),
            None => {
                tracing::warn!("no jwt_secret configured; using a random one");
                SecretBytes::generate(32)?
            }
        };
        // One engine for the app's flows, one for the authentication layer: the same key.
        let engine = || -> Result<Tokens, BoxError> {
            let key = SigningKey::hmac(Algorithm::HS256, &jwt_secret)
                .map_err(|e| format!("jwt_secret: {e}"))?;
            let mut config = TokenConfig::hardened();
            config.access_cookie_name = Some(ACCESS_COOKIE.into());
            // SimpleJWT's UPDATE_LAST_LOGIN: a login's `LastLogin` goes to the user table.
            config.update_last_login = true;
            Ok(Tokens::new(config, Keyring::new(key))?)
        };
        let tokens = engine()?;
        let sealed = match &self.sealed_keys {
            Some(text) => SealedKeyset::from_text(text).map_err(|e| format!("sealed_keys: {e}"))?,
            None => SealedKeyset::new(SealedKey::generate("generated")?),
        };
        let audit_bytes = match &self.audit_key {
            Some(text) => SecretBytes::from_slice(text.as_bytes()),
            None => SecretBytes::generate(32)?,
        };
        let security = deployment::security_config(&self.cross_origin_opener_policy)?;
        let deployed = deployment::Deployed {
            config: &self,
            tokens: tokens.config(),
            algorithm: Algorithm::HS256,
            jwt_secret: &jwt_secret,
            audit_key: &audit_bytes,
            security: &security,
            login_rate: &login_rate,
            api_rate: &api_rate,
        };
        deployment::check_at_start(&deployed.settings(), self.allow_deploy_errors)?;
        let audit_keys = (
            AuditKey::new(audit_bytes.duplicate()).map_err(|e| format!("audit_key: {e}"))?,
            AuditKey::new(audit_bytes).map_err(|e| format!("audit_key: {e}"))?,
        );

        let table = RateTable::new()
            .with_scope(app::Scope::Login.name(), login_rate)
            .with_scope(app::Scope::Api.name(), api_rate);
        let backend = Arc::new(match self.redis()? {
            Some(target) => {
                Backend::redis(tokens, &target, &self.redis_prefix, rate_limit_failure)
                    .await
                    // The error names no URL (it may hold a password); its source is Redis's.
                    .map_err(|e| {
                        let setting = target.setting();
                        match std::error::Error::source(&e) {
                            Some(cause) => format!("{setting}: {e}: {cause}"),
                            None => format!("{setting}: {e}"),
                        }
                    })?
            }
            None => Backend::memory(tokens, &table)?,
        });
        let mut limiter = RateLimiter::new(table, Arc::clone(&backend))?
            .with_legacy(true)
            .with_peer_address(|ext| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()));
        for (path, scope) in http::LIMITED_ROUTES {
            limiter = limiter.with_route(path, scope.name())?;
        }

        let origins: Vec<&str> = self.cors_origins.iter().map(String::as_str).collect();
        let mut cors = CorsPolicy::builder()
            .allow_methods(&["GET", "POST"])
            .allow_headers(&["content-type", "authorization", "x-csrftoken"])
            .expose_headers(&["ratelimit", "ratelimit-policy", "retry-after"])
            .allow_credentials(true)
            .max_age(600);
        for origin in &origins {
            cors = cors.allow_origin(origin);
        }
        let cors = cors.build().map_err(|e| format!("cors_origins: {e}"))?;
        let security = security.build()?;

        let secure = SecureRequest::direct();
        let csrf = {
            let trusted: Vec<&str> = self.cors_origins.iter().map(String::as_str).collect();
            // `cookie_secure`: every request arrives over HTTPS (the Referer check).
            let scheme = if self.cookie_secure {
                SecureRequest::always()
            } else {
                SecureRequest::direct()
            };
            CsrfLayer::new(
                CsrfPolicy::new(&trusted, None)?,
                backend.tokens().config(),
                scheme,
            )?
            .with_names(CSRF_COOKIE, "X-CSRFToken")?
        };
        let mut auth = Authenticator::new(Arc::new(engine()?), Arc::clone(&backend))?;
        if let Some(remote) = &self.remote_issuer {
            auth = auth.with_remote_issuer(remote.build()?)?;
        }
        let layers = http::Layers {
            stack: SecurityStack::new(security, secure.clone())?
                .cors(CorsLayer::new(cors, secure))
                .rate_limit(limiter.layer()),
            csrf,
            auth: auth.required(),
            metrics: telemetry::Metrics::install(self.metrics_token.clone())?,
        };

        let app = App::new(Parts {
            backend,
            users: self
                .users
                .into_iter()
                .map(|u| (u.username, u.password_hash, u.note, u.profile))
                .collect(),
            sealed,
            audit_keys,
            audit_capacity: self.audit_capacity,
            instance: self.instance,
            shape: app::ResponseShape::new(&self.response_shape, &self.user_fields)?,
        })?;
        Ok((Arc::new(app), layers, listen))
    }
}

const USAGE: &str = "usage: axum_service [--config PATH] [--listen IP:PORT] [--self-check]";

fn main() -> std::process::ExitCode {
    if let Err(e) = telemetry::init_logs() {
        eprintln!("axum_service: {e}");
        return std::process::ExitCode::from(2);
    }
    let mut config_path = None;
    let mut listen = None;
    let mut self_check = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--config" => config_path = args.next(),
            "--listen" => listen = args.next(),
            "--self-check" => self_check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return std::process::ExitCode::SUCCESS;
            }
            other => {
                eprintln!("axum_service: unknown argument {other:?}\n{USAGE}");
                return std::process::ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("axum_service: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let mut config = Config::load(config_path.as_deref())?;
        if let Some(addr) = listen {
            config.listen = addr;
        }
        if self_check {
            config.listen = "127.0.0.1:0".into();
            config.login_rate = "5/m".into();
            // With Redis (a server or a cluster), a prefix of its own: fresh
            // counters, deleted afterwards.
            config.redis_prefix = format!("portcullis-self-check:{}:", std::process::id());
            return run_self_check(config).await;
        }
        serve(config).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum_service: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// Binds, prints the address on the first stdout line, and serves.
async fn start(
    config: Config,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>, Arc<App>), BoxError> {
    let (app, layers, listen) = config.build().await?;
    let upkeep = tokio::spawn(Arc::clone(&layers.metrics).upkeep());
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let service =
        http::router(Arc::clone(&app), layers).into_make_service_with_connect_info::<SocketAddr>();
    let purge = tokio::spawn(purge_on_a_timer(Arc::clone(&app)));
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, service).await {
            tracing::error!("server stopped: {e}");
        }
        purge.abort();
        upkeep.abort();
    });
    Ok((addr, handle, app))
}

/// How often moot revocation entries are dropped (SimpleJWT's `flushexpiredtokens`,
/// run by the service itself).
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Purges the in-memory revocation store every [`PURGE_EVERY`], on the blocking
/// pool (Redis entries expire by TTL and need no purge).
async fn purge_on_a_timer(app: Arc<app::App>) {
    let mut tick = tokio::time::interval(PURGE_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let app = Arc::clone(&app);
        match tokio::task::spawn_blocking(move || app.purge_revocations()).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("revocation purge failed: {e}"),
            Err(e) => tracing::error!("revocation purge task: {e}"),
        }
    }
}

async fn serve(config: Config) -> Result<(), BoxError> {
    let (addr, handle, app) = start(config).await?;
    tracing::info!(%addr, state = app.backend.name(), "listening");
    println!(
        "axum_service listening on http://{addr} (state: {})",
        app.backend.name()
    );
    use std::io::Write as _;
    std::io::stdout().flush()?;
    tokio::select! {
        _ = handle => {}
        _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
    }
    Ok(())
}

/// Starts the service on an ephemeral loopback port, drives each flow once with a
/// real HTTP client, prints what happened, and fails on any unexpected answer.
async fn run_self_check(config: Config) -> Result<(), BoxError> {
    let (addr, handle, app) = start(config).await?;
    let backend = app.backend.name();
    println!("self-check against http://{addr} (state: {backend})");
    let outcome = tokio::task::spawn_blocking(move || drive(addr)).await;
    handle.abort();
    if backend == "redis" {
        let removed = app
            .backend
            .clear()
            .await
            .map_err(|e| format!("self-check cleanup: {e}"))?;
        println!("  removed the self-check's {removed} Redis keys");
    }
    let checks = outcome.map_err(|e| format!("self-check task: {e}"))??;
    println!("axum_service self-check: {checks} checks passed");
    Ok(())
}

fn drive(addr: SocketAddr) -> Result<usize, BoxError> {
    use portcullis_testkit::request;
    let mut checks = 0;
    let mut expect = |what: &str, got: u16, want: u16| -> Result<(), BoxError> {
        println!("  {what}: {got}");
        checks += 1;
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: expected {want}, got {got}").into())
        }
    };
    let login = json!({"username": "alice", "password": DEMO_PASSWORD});

    let r = request(addr, "GET", "/healthz", &[], None)?;
    expect("GET /healthz", r.status, 200)?;
    println!(
        "    security headers: {:?}",
        r.header("x-content-type-options")
    );

    let r = request(
        addr,
        "POST",
        "/api/token/",
        &[],
        Some(&json!({"username": "alice", "password": "wrong"})),
    )?;
    expect("POST /api/token/ wrong password", r.status, 401)?;
    let r = request(addr, "POST", "/api/token/", &[], Some(&login))?;
    expect("POST /api/token/ (Django argon2 hash)", r.status, 200)?;
    println!("    RateLimit: {:?}", r.header("ratelimit"));
    let pair = r.json();
    let access = pair["access"].as_str().unwrap_or_default().to_owned();
    let refresh = pair["refresh"].as_str().unwrap_or_default().to_owned();

    let bearer = format!("Bearer {access}");
    let r = request(addr, "GET", "/api/me/", &[("Authorization", &bearer)], None)?;
    expect("GET /api/me/ (sealed note opened)", r.status, 200)?;
    println!("    {}", r.body);

    let r = request(
        addr,
        "POST",
        "/api/token/refresh/",
        &[],
        Some(&json!({"refresh": refresh})),
    )?;
    expect("POST /api/token/refresh/ (rotation)", r.status, 200)?;
    let rotated = r.json();
    let r = request(
        addr,
        "POST",
        "/api/token/refresh/",
        &[],
        Some(&json!({"refresh": refresh})),
    )?;
    expect(
        "POST /api/token/refresh/ replayed (family revoked)",
        r.status,
        401,
    )?;
    let r = request(
        addr,
        "POST",
        "/api/token/verify/",
        &[],
        Some(&json!({"token": rotated["access"]})),
    )?;
    expect(
        "POST /api/token/verify/ token of the revoked family",
        r.status,
        401,
    )?;

    let r = request(
        addr,
        "POST",
        "/api/token/",
        &[],
        Some(&json!({"username": "bob", "password": DEMO_PASSWORD})),
    )?;
    expect(
        "POST /api/token/ (Django pbkdf2_sha256 hash)",
        r.status,
        200,
    )?;
    let bob = r.json();
    let r = request(
        addr,
        "POST",
        "/api/token/blacklist/",
        &[],
        Some(&json!({"refresh": bob["refresh"]})),
    )?;
    expect("POST /api/token/blacklist/ (logout)", r.status, 200)?;
    let r = request(
        addr,
        "POST",
        "/api/token/refresh/",
        &[],
        Some(&json!({"refresh": bob["refresh"]})),
    )?;
    expect("POST /api/token/refresh/ after logout", r.status, 401)?;

    // Three logins so far from this address at 5/m: the sixth attempt is refused.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(request(addr, "POST", "/api/token/", &[], Some(&login))?.status);
    }
    let last = statuses.last().copied().unwrap_or_default();
    println!("    three more logins: {statuses:?}");
    expect("POST /api/token/ over the login rate", last, 429)?;
    Ok(checks)
}
