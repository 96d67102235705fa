//! The service's logic, free of HTTP framework types: each flow takes the parts of
//! the request it needs and returns a [`Reply`]. State goes through the
//! [`Backend`] (memory, or Redis by async round trips); password hashing runs on
//! the blocking pool, so no flow holds a runtime thread.
//! Authentication, CSRF and the rate limits are portcullis-tower's layers
//! (`http.rs`); what is left here is the app's own logic.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use portcullis::audit::{AuditChain, AuditKey, MemorySink, RefusalAggregator};
use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::crypto::field::Encrypted;
use portcullis::crypto::{Context, SealedKeyset};
use portcullis::password::Hasher;
use portcullis::ratelimit::ClientKey;
use portcullis::ratelimit::http::retry_after_secs;
use portcullis::ratelimit::lockout::{LockoutStatus, LoginGuard};
use portcullis::secret::SecretString;
use portcullis::token::{TokenError, TokenPair};
use portcullis::web::cookie::{SameSite, SetCookie};
use portcullis::web::csrf::CsrfSecret;
use serde_json::{Map, Value, json};

mod audit_trail;
mod shape;

pub(crate) use shape::ResponseShape;

use crate::backend::Backend;

/// The access-token cookie of the cookie flow. `__Host-`: Secure, `Path=/`, no
/// Domain, so a sibling subdomain can neither set nor shadow it.
pub(crate) const ACCESS_COOKIE: &str = "__Host-access_token";
/// The CSRF cookie (Django's `csrftoken`, `__Host-` prefixed as Django's
/// `CSRF_COOKIE_NAME` allows); scripts echo it in `X-CSRFToken`.
pub(crate) const CSRF_COOKIE: &str = "__Host-csrftoken";
/// Refusals of one client are audited once per this many seconds, plus a summary.
const REFUSAL_WINDOW: Duration = Duration::from_secs(60);
/// Clients whose refusals are tracked at once.
const REFUSAL_KEYS: usize = 10_000;

/// What to send back.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: u16,
    /// Extra headers (`Set-Cookie` may repeat).
    pub(crate) headers: Vec<(String, String)>,
    /// The JSON body.
    pub(crate) body: Value,
}

impl Reply {
    fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn token_error(e: &TokenError) -> Self {
        if e.is_rejection() {
            Self::new(401, e.response_body())
        } else {
            tracing::error!("token store error: {e}");
            Self::new(
                503,
                json!({"detail": "Service unavailable", "code": e.code()}),
            )
        }
    }

    /// A fault of the service's own (a task that died): 500, nothing of the cause.
    pub(crate) fn internal() -> Self {
        Self::new(
            500,
            json!({"detail": "Internal error.", "code": "internal"}),
        )
    }

    fn store_error(e: &dyn std::fmt::Display) -> Self {
        tracing::error!("store error: {e}");
        Self::new(
            503,
            json!({"detail": "Service unavailable", "code": "store_unavailable"}),
        )
    }
}

/// What a request carries that the flows look at (the audit trail's fields).
#[derive(Debug, Default, Clone)]
pub(crate) struct RequestInfo {
    /// The peer's address (no proxy is trusted by default).
    pub(crate) peer: Option<IpAddr>,
    /// `User-Agent`.
    pub(crate) user_agent: Option<String>,
}

/// A user record: the password hash (Django or PHC format) and a sealed field.
#[derive(Debug, Clone)]
pub(crate) struct User {
    /// The stored password hash; replaced on login when `must_update`.
    pub(crate) password_hash: String,
    /// A private note, sealed and bound to `users/note/<username>`.
    pub(crate) note: Encrypted<String>,
    /// What a bearer-shaped login may show (with the username): `id`, `email`, ...
    pub(crate) profile: Map<String, Value>,
    /// SimpleJWT's `UPDATE_LAST_LOGIN`: the last login's time, set by the login flow.
    pub(crate) last_login: Option<UnixTime>,
}

/// The two rate-limited scopes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope {
    /// `POST /api/token/` and `POST /api/session/`.
    Login,
    /// Every other `/api/` call.
    Api,
}

impl Scope {
    /// The scope's name in the rate table and the `RateLimit` headers.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Api => "api",
        }
    }
}

/// Everything the service holds.
pub(crate) struct App {
    /// Revocations, login failures and rate limits (shared with the layers).
    pub(crate) backend: Arc<Backend>,
    guard: LoginGuard,
    hasher: Hasher,
    users: RwLock<HashMap<String, User>>,
    sealed: SealedKeyset,
    audit: Mutex<(AuditChain, MemorySink)>,
    audit_key: AuditKey,
    /// Which 429s to audit: the first per client and window, then a summary.
    refusals: Mutex<(RefusalAggregator, UnixTime)>,
    /// A name for this instance in audit records and `/healthz`.
    pub(crate) instance: String,
    /// The login and refresh bodies.
    shape: ResponseShape,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("instance", &self.instance)
            .field("backend", &self.backend.name())
            .finish_non_exhaustive()
    }
}

/// The parts [`App::new`] needs, prepared by the configuration.
pub(crate) struct Parts {
    /// Where the state lives.
    pub(crate) backend: Arc<Backend>,
    /// Users: name, password hash, plaintext note to seal, profile.
    pub(crate) users: Vec<(String, String, String, Map<String, Value>)>,
    /// Field encryption keys.
    pub(crate) sealed: SealedKeyset,
    /// The audit chain's key, twice (chain and verifier).
    pub(crate) audit_keys: (AuditKey, AuditKey),
    /// Audit records kept in memory (the demo's sink; a real one writes to a table).
    pub(crate) audit_capacity: usize,
    /// The instance name.
    pub(crate) instance: String,
    /// The login and refresh bodies (`response_shape`, `user_fields`).
    pub(crate) shape: ResponseShape,
}

fn note_context(username: &str) -> Context {
    Context::row("users", "note", username)
}

fn now() -> UnixTime {
    SystemClock.now()
}

/// The client's lockout key: IPv4 as is, IPv6 by /56, NAT64 and IPv4-mapped as
/// their IPv4 client (the rate-limit layer keys clients the same way).
pub(crate) fn client_key(peer: Option<IpAddr>) -> String {
    ClientKey::ip(peer.unwrap_or(IpAddr::from([127, 0, 0, 1]))).to_string()
}

impl App {
    /// Seals the users' notes and assembles the service.
    pub(crate) fn new(parts: Parts) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let mut users = HashMap::new();
        for (name, hash, note, profile) in parts.users {
            parts
                .shape
                .check_user(&name, &shape::user_object(&name, &profile))?;
            let sealed = Encrypted::seal(&note, &parts.sealed, &note_context(&name))?;
            users.insert(
                name,
                User {
                    password_hash: hash,
                    note: sealed,
                    profile,
                    last_login: None,
                },
            );
        }
        Ok(Self {
            backend: parts.backend,
            guard: LoginGuard::default(),
            hasher: Hasher::default(),
            users: RwLock::new(users),
            sealed: parts.sealed,
            audit: Mutex::new((
                AuditChain::new(parts.audit_keys.0),
                MemorySink::new(parts.audit_capacity),
            )),
            audit_key: parts.audit_keys.1,
            refusals: Mutex::new((
                RefusalAggregator::new(REFUSAL_WINDOW, REFUSAL_KEYS)?,
                UnixTime::EPOCH,
            )),
            instance: parts.instance,
            shape: parts.shape,
        })
    }

    /// Drops revocation entries that no longer matter (run on a timer by the
    /// server, so the in-memory store never fills with moot entries).
    pub(crate) fn purge_revocations(&self) -> Result<usize, TokenError> {
        self.backend.purge_revocations(now())
    }

    /// Changes the record of `username`, if there is one.
    fn update_user(&self, username: &str, change: impl FnOnce(&mut User)) {
        let mut users = self.users.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(user) = users.get_mut(username) {
            change(user);
        }
    }

    /// Checks credentials with lockout; `Ok` is the username.
    async fn authenticate(&self, body: &Value, info: &RequestInfo) -> Result<String, Reply> {
        let username = body.get("username").and_then(Value::as_str).unwrap_or("");
        let password = body.get("password").and_then(Value::as_str).unwrap_or("");
        if username.is_empty() || password.is_empty() {
            // DRF's serializer errors: one entry per missing field.
            let mut errors = serde_json::Map::new();
            for (field, value) in [("username", username), ("password", password)] {
                if value.is_empty() {
                    errors.insert(field.into(), json!(["This field is required."]));
                }
            }
            return Err(Reply::new(400, Value::Object(errors)));
        }
        let ip = client_key(info.peer);
        let now = now();
        let stored = self
            .users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(username)
            .map(|u| u.password_hash.clone());
        let attempt = (username, ip.as_str(), stored.is_some());
        let status = self
            .backend
            .login_status(&self.guard, username, &ip, attempt.2, now)
            .await
            .map_err(|e| Reply::store_error(&e))?;
        if let LockoutStatus::Locked { retry_after } = status {
            self.audit(username, "login:locked", "user", username, info);
            let secs = retry_after_secs(retry_after).max(1);
            return Err(Reply::new(
                429,
                json!({"detail": "Too many failed login attempts. Try again later.", "code": "login_locked"}),
            )
            .header("Retry-After", secs.to_string()));
        }
        let (correct, upgraded) = self.check_password(password, stored).await?;
        self.backend
            .record_login(&self.guard, attempt, correct, now)
            .await
            .map_err(|e| Reply::store_error(&e))?;
        if !correct {
            self.audit(username, "login:fail", "user", username, info);
            return Err(Reply::new(
                401,
                json!({"detail": "No active account found with the given credentials", "code": "no_active_account"}),
            ));
        }
        if let Some(new_hash) = upgraded {
            // Django's upgrade on login: the hash moves to the preferred format.
            self.update_user(username, |user| user.password_hash = new_hash);
            self.audit(username, "password:upgrade", "user", username, info);
        }
        self.audit(username, "login:success", "user", username, info);
        Ok(username.to_owned())
    }

    /// Checks `password` against `stored` on the blocking pool (the hash's work
    /// never holds a runtime thread). An unknown user is checked against an
    /// unusable hash: same work, same answer. `Ok` says whether it matched and,
    /// for a match on an outdated hash, gives its replacement in the preferred format.
    async fn check_password(
        &self,
        password: &str,
        stored: Option<String>,
    ) -> Result<(bool, Option<String>), Reply> {
        let hasher = self.hasher.clone();
        let password = SecretString::new(password.to_owned());
        let checked = tokio::task::spawn_blocking(move || {
            let known = stored.is_some();
            let encoded = stored.as_deref().unwrap_or("!");
            let verification = hasher
                .verify(password.expose_secret(), encoded)
                .map_err(|e| {
                    Reply::new(400, json!({"detail": e.to_string(), "code": "invalid"}))
                })?;
            let correct = known && verification.is_correct;
            let upgraded = (correct && verification.must_update)
                .then(|| hasher.hash(password.expose_secret()).ok())
                .flatten();
            Ok((correct, upgraded))
        });
        checked.await.unwrap_or_else(|_| Err(Reply::internal()))
    }

    /// Issues the pair of an authenticated user and writes the login's
    /// `last_login` update (SimpleJWT's `UPDATE_LAST_LOGIN`, on in this service)
    /// to the user table; `Ok` also gives the user object a login body shows.
    fn log_in(&self, username: &str) -> Result<(TokenPair, Value), Reply> {
        let login = self
            .backend
            .tokens()
            .login(username, &json!({}), now())
            .map_err(|e| Reply::token_error(&e))?;
        if let Some(update) = &login.last_login {
            self.update_user(&update.user_id, |user| user.last_login = Some(update.at));
        }
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        let profile = users.get(username).map(|u| &u.profile);
        let user = shape::user_object(username, profile.unwrap_or(&Map::new()));
        Ok((login.pair, user))
    }

    /// `POST /api/token/`: SimpleJWT's obtain-pair view, in the configured shape.
    pub(crate) async fn obtain_pair(&self, body: &Value, info: &RequestInfo) -> Reply {
        let username = match self.authenticate(body, info).await {
            Ok(u) => u,
            Err(reply) => return reply,
        };
        match self.log_in(&username) {
            Ok((pair, user)) => self
                .shape
                .login(&pair, self.backend.tokens().config(), &user),
            Err(reply) => reply,
        }
    }

    /// `POST /api/session/`: the cookie flow's login: an HttpOnly access cookie and
    /// a fresh CSRF secret (Django's `rotate_token` at login).
    pub(crate) async fn session_login(&self, body: &Value, info: &RequestInfo) -> Reply {
        let username = match self.authenticate(body, info).await {
            Ok(u) => u,
            Err(reply) => return reply,
        };
        let tokens = self.backend.tokens();
        let pair = match self.log_in(&username) {
            Ok((pair, _)) => pair,
            Err(reply) => return reply,
        };
        let lifetime = tokens.config().access_token_lifetime.as_secs();
        let cookies = CsrfSecret::generate().and_then(|secret| {
            let access = SetCookie::new(ACCESS_COOKIE, &pair.access)
                .secure(true)
                .same_site(SameSite::Lax)
                .max_age(lifetime)
                .build()?;
            let csrf = SetCookie::new(CSRF_COOKIE, secret.expose_secret())
                .secure(true)
                .http_only(false)
                .same_site(SameSite::Lax)
                .build()?;
            Ok((access, csrf))
        });
        match cookies {
            Ok((access, csrf)) => Reply::new(200, json!({"user": username}))
                .header("Set-Cookie", access)
                .header("Set-Cookie", csrf),
            Err(e) => Reply::store_error(&e),
        }
    }

    /// `POST /api/token/refresh/`: rotation with reuse detection.
    pub(crate) async fn refresh(&self, body: &Value, info: &RequestInfo) -> Reply {
        let Some(token) = body.get("refresh").and_then(Value::as_str) else {
            return Reply::new(400, json!({"refresh": ["This field is required."]}));
        };
        match self.backend.refresh(token, now()).await {
            Ok(next) => self.shape.refresh(&next, self.backend.tokens().config()),
            Err(e) => {
                if e == TokenError::Reused {
                    self.audit("anonymous", "token:reuse", "token", "refresh", info);
                }
                Reply::token_error(&e)
            }
        }
    }

    /// `POST /api/token/verify/`: any token type, including revocation.
    pub(crate) async fn verify(&self, body: &Value) -> Reply {
        let Some(token) = body.get("token").and_then(Value::as_str) else {
            return Reply::new(400, json!({"token": ["This field is required."]}));
        };
        match self.backend.verify_any(token, now()).await {
            Ok(_) => Reply::new(200, json!({})),
            Err(e) => Reply::token_error(&e),
        }
    }

    /// `POST /api/token/blacklist/`: logout, revoking the refresh token's family.
    pub(crate) async fn logout(&self, body: &Value, info: &RequestInfo) -> Reply {
        let Some(token) = body.get("refresh").and_then(Value::as_str) else {
            return Reply::new(400, json!({"refresh": ["This field is required."]}));
        };
        let user = self
            .backend
            .tokens()
            .verify(token, None, now())
            .ok()
            .and_then(|v| v.claims().user_id().map(str::to_owned))
            .unwrap_or_else(|| "anonymous".into());
        match self.backend.logout(token, now()).await {
            Ok(()) => {
                self.audit(&user, "session:logout", "user", &user, info);
                Reply::new(200, json!({}))
            }
            Err(e) => Reply::token_error(&e),
        }
    }

    /// `GET /api/me/`: the user and their note, unsealed.
    pub(crate) fn me(&self, user: &str) -> Reply {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        let Some(record) = users.get(user) else {
            return Reply::new(404, json!({"detail": "Not found.", "code": "not_found"}));
        };
        let last_login = record.last_login.map(UnixTime::as_secs_f64);
        match record.note.open(&self.sealed, &note_context(user)) {
            Ok(note) => Reply::new(
                200,
                json!({"user": user, "note": note, "note_sealed_kid": self.sealed.primary_kid(), "last_login": last_login}),
            ),
            Err(_) => Reply::new(
                500,
                json!({"detail": "The note could not be read.", "code": "sealed_field"}),
            ),
        }
    }

    /// `POST /api/me/note/`: replaces the sealed note.
    pub(crate) fn set_note(&self, user: &str, body: &Value, info: &RequestInfo) -> Reply {
        let Some(note) = body.get("note").and_then(Value::as_str) else {
            return Reply::new(400, json!({"note": ["This field is required."]}));
        };
        let sealed = match Encrypted::seal(&note.to_owned(), &self.sealed, &note_context(user)) {
            Ok(s) => s,
            Err(_) => {
                return Reply::new(
                    500,
                    json!({"detail": "The note could not be sealed.", "code": "sealed_field"}),
                );
            }
        };
        self.update_user(user, |record| record.note = sealed);
        self.audit(user, "note:update", "user", user, info);
        Reply::new(200, json!({"user": user, "note": note}))
    }

    /// `POST /api/logout-everywhere/`: revokes every token of the user issued up to
    /// now (to the millisecond: the next login, even in the same second, is valid).
    pub(crate) async fn logout_everywhere(&self, user: &str, info: &RequestInfo) -> Reply {
        let cutoff = now();
        match self.backend.revoke_user_before(user, cutoff).await {
            Ok(()) => {
                self.audit(user, "session:logout-all", "user", user, info);
                Reply::new(200, json!({"revoked_before": cutoff.as_secs_f64()}))
            }
            Err(e) => Reply::token_error(&e),
        }
    }
}
