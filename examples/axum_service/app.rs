//! The service's logic, free of HTTP framework types: each flow takes the parts of
//! the request it needs and returns a [`Reply`]. Calls may block (password hashing,
//! a Redis round trip), so the axum layer runs them on the blocking pool.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use portcullis::audit::{AuditChain, AuditKey, MemorySink, RefusalAggregator};
use portcullis::clock::{Clock, SystemClock, UnixTime};
use portcullis::crypto::field::Encrypted;
use portcullis::crypto::{Context, SealedKeyset};
use portcullis::password::Hasher;
use portcullis::ratelimit::http::retry_after_secs;
use portcullis::ratelimit::http::{HeaderOptions, RateLimitResponse};
use portcullis::ratelimit::lockout::{LockoutStatus, LoginGuard, LoginStates};
use portcullis::ratelimit::{ClientKey, Gcra, KeyedLimiterConfig, Rate, RateTable, TableLimiter};
use portcullis::store::StoreError;
use portcullis::token::{
    Consumed, Lookup, MemoryRevocationStore, Revocation, RevocationStore, Status, TokenError,
    TokenService, parse_authorization_header, www_authenticate,
};
use portcullis::web::cookie::{SameSite, SetCookie, parse_cookie_header};
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest, CsrfSecret};
use serde_json::{Value, json};

mod audit_trail;

use crate::failures::FailureTable;
use crate::store::RedisStore;

/// The access-token cookie of the cookie flow. `__Host-`: Secure, `Path=/`, no
/// Domain, so a sibling subdomain can neither set nor shadow it.
pub(crate) const ACCESS_COOKIE: &str = "__Host-access_token";
/// The CSRF cookie (Django's `csrftoken`, `__Host-` prefixed as Django's
/// `CSRF_COOKIE_NAME` allows); scripts echo it in `X-CSRFToken`.
pub(crate) const CSRF_COOKIE: &str = "__Host-csrftoken";
/// Login failure states kept in memory per map, known accounts and unknown
/// usernames apart (a Redis deployment relies on TTLs instead).
const MAX_FAILURE_KEYS: usize = 1_000_000;
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
            eprintln!("axum_service: token store error: {e}");
            Self::new(
                503,
                json!({"detail": "Service unavailable", "code": e.code()}),
            )
        }
    }

    fn store_error(e: &dyn std::fmt::Display) -> Self {
        eprintln!("axum_service: store error: {e}");
        Self::new(
            503,
            json!({"detail": "Service unavailable", "code": "store_unavailable"}),
        )
    }
}

/// What a request carries that the flows look at.
#[derive(Debug, Default, Clone)]
pub(crate) struct RequestInfo {
    /// The peer's address (no proxy is trusted by default).
    pub(crate) peer: Option<IpAddr>,
    /// `Authorization`.
    pub(crate) authorization: Option<String>,
    /// `Cookie`.
    pub(crate) cookie: Option<String>,
    /// `Origin`.
    pub(crate) origin: Option<String>,
    /// `Referer`.
    pub(crate) referer: Option<String>,
    /// `Host`.
    pub(crate) host: Option<String>,
    /// `X-CSRFToken`.
    pub(crate) csrf_header: Option<String>,
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
}

/// The in-memory or Redis revocation store, as one type for `TokenService`.
#[derive(Debug)]
pub(crate) enum Revocations {
    /// One process only.
    Memory(MemoryRevocationStore),
    /// Shared by every instance using the same Redis.
    Redis(Arc<RedisStore>),
}

impl RevocationStore for Revocations {
    fn status(&self, token: &Lookup<'_>) -> Result<Status, StoreError> {
        match self {
            Self::Memory(s) => s.status(token),
            Self::Redis(s) => s.status(token),
        }
    }
    fn consume(&self, token: &Lookup<'_>) -> Result<Consumed, StoreError> {
        match self {
            Self::Memory(s) => s.consume(token),
            Self::Redis(s) => s.consume(token),
        }
    }
    fn revoke(&self, revocation: Revocation) -> Result<(), StoreError> {
        match self {
            Self::Memory(s) => s.revoke(revocation),
            Self::Redis(s) => s.revoke(revocation),
        }
    }
    fn purge_expired(&self, now: UnixTime) -> Result<usize, StoreError> {
        match self {
            Self::Memory(s) => s.purge_expired(now),
            Self::Redis(s) => s.purge_expired(now),
        }
    }
}

/// Rate-limit and lockout state: this process's memory, or Redis.
#[derive(Debug)]
pub(crate) enum Limits {
    /// The crate's keyed limiters and a map of failure states.
    Memory(Box<MemoryLimits>),
    /// Shared state in Redis.
    Redis(Arc<RedisStore>),
}

/// This process's rate-limit and lockout state.
#[derive(Debug)]
pub(crate) struct MemoryLimits {
    /// The `login` and `api` scopes' rates, a bounded store each.
    table: TableLimiter<Gcra>,
    /// Login failure states by key.
    failures: Mutex<FailureTable>,
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
    fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Api => "api",
        }
    }
}

/// Everything the service holds.
pub(crate) struct App {
    /// Tokens with the chosen revocation store.
    pub(crate) tokens: TokenService<Revocations>,
    limits: Limits,
    login_rate: Rate,
    api_rate: Rate,
    guard: LoginGuard,
    hasher: Hasher,
    users: RwLock<HashMap<String, User>>,
    sealed: SealedKeyset,
    csrf: CsrfPolicy,
    audit: Mutex<(AuditChain, MemorySink)>,
    audit_key: AuditKey,
    /// Which 429s to audit: the first per client and window, then a summary.
    refusals: Mutex<(RefusalAggregator, UnixTime)>,
    /// Whether requests arrive over HTTPS (Django's `request.is_secure()` for
    /// the CSRF Referer check). Cookies are always `Secure`: the `__Host-` prefix
    /// requires it, and browsers keep Secure cookies from `http://localhost`.
    cookie_secure: bool,
    /// A name for this instance in audit records and `/healthz`.
    pub(crate) instance: String,
    /// `"memory"` or `"redis"`.
    pub(crate) backend: &'static str,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("instance", &self.instance)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// The parts [`App::new`] needs, prepared by the configuration.
pub(crate) struct Parts {
    /// The token service over the chosen store.
    pub(crate) tokens: TokenService<Revocations>,
    /// Rate-limit and lockout state.
    pub(crate) limits: Limits,
    /// Login rate per client.
    pub(crate) login_rate: Rate,
    /// API rate per client.
    pub(crate) api_rate: Rate,
    /// Users by name, with plaintext notes to seal.
    pub(crate) users: Vec<(String, String, String)>,
    /// Field encryption keys.
    pub(crate) sealed: SealedKeyset,
    /// The audit chain's key, twice (chain and verifier).
    pub(crate) audit_keys: (AuditKey, AuditKey),
    /// Audit records kept in memory (the demo's sink; a real one writes to a table).
    pub(crate) audit_capacity: usize,
    /// `CSRF_TRUSTED_ORIGINS`.
    pub(crate) csrf_trusted: Vec<String>,
    /// `Secure` on cookies.
    pub(crate) cookie_secure: bool,
    /// The instance name.
    pub(crate) instance: String,
    /// `"memory"` or `"redis"`.
    pub(crate) backend: &'static str,
}

fn note_context(username: &str) -> Context {
    Context::row("users", "note", username)
}

fn now() -> UnixTime {
    SystemClock.now()
}

fn client(info: &RequestInfo) -> ClientKey {
    let ip = info.peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
    // IPv4 as is, IPv6 by /56, NAT64 and IPv4-mapped as their IPv4 client.
    ClientKey::ip(ip)
}

fn client_key(info: &RequestInfo) -> String {
    client(info).to_string()
}

impl App {
    /// Seals the users' notes and assembles the service.
    pub(crate) fn new(parts: Parts) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let mut users = HashMap::new();
        for (name, hash, note) in parts.users {
            let sealed = Encrypted::seal(&note, &parts.sealed, &note_context(&name))?;
            users.insert(
                name,
                User {
                    password_hash: hash,
                    note: sealed,
                },
            );
        }
        let trusted: Vec<&str> = parts.csrf_trusted.iter().map(String::as_str).collect();
        Ok(Self {
            tokens: parts.tokens,
            limits: parts.limits,
            login_rate: parts.login_rate,
            api_rate: parts.api_rate,
            guard: LoginGuard::default(),
            hasher: Hasher::default(),
            users: RwLock::new(users),
            sealed: parts.sealed,
            csrf: CsrfPolicy::new(&trusted, None)?,
            audit: Mutex::new((
                AuditChain::new(parts.audit_keys.0),
                MemorySink::new(parts.audit_capacity),
            )),
            audit_key: parts.audit_keys.1,
            refusals: Mutex::new((
                RefusalAggregator::new(REFUSAL_WINDOW, REFUSAL_KEYS)?,
                UnixTime::EPOCH,
            )),
            cookie_secure: parts.cookie_secure,
            instance: parts.instance,
            backend: parts.backend,
        })
    }

    /// Drops revocation entries that no longer matter (run on a timer by the
    /// server, so the in-memory store never fills with moot entries).
    pub(crate) fn purge_revocations(&self) -> Result<usize, TokenError> {
        self.tokens.purge_expired(now())
    }

    /// The in-memory limits for `login_rate` and `api_rate`.
    pub(crate) fn memory_limits(login_rate: &Rate, api_rate: &Rate) -> Result<Limits, String> {
        let table = RateTable::new()
            .with_scope(Scope::Login.name(), *login_rate)
            .with_scope(Scope::Api.name(), *api_rate);
        let table = TableLimiter::new(&table, KeyedLimiterConfig::default())
            .map_err(|e| e.to_string())?
            .with_legacy(true);
        Ok(Limits::Memory(Box::new(MemoryLimits {
            table,
            failures: Mutex::new(FailureTable::new(MAX_FAILURE_KEYS)),
        })))
    }

    /// Rate-limits one request of `scope` from the client; `Err` is the 429.
    pub(crate) fn limit(
        &self,
        scope: Scope,
        info: &RequestInfo,
    ) -> Result<Vec<(String, String)>, Reply> {
        let client = client(info);
        let key = client.to_string();
        let now = now();
        let rate = match scope {
            Scope::Login => &self.login_rate,
            Scope::Api => &self.api_rate,
        };
        let response = match &self.limits {
            Limits::Memory(memory) => memory
                .table
                .check(scope.name(), &client, now)
                .map_err(|e| Reply::store_error(&e))?
                .ok_or_else(|| Reply::store_error(&"no rate for this scope"))?,
            Limits::Redis(store) => {
                let decision = store
                    .rate_limit::<Gcra>(&format!("rl:{}:{key}", scope.name()), rate, now, 1)
                    .map_err(|e| Reply::store_error(&e))?;
                let options = HeaderOptions::new(scope.name())
                    .map_err(|e| Reply::store_error(&e))?
                    .with_legacy(true);
                RateLimitResponse::new(&decision, rate, &options, now)
            }
        };
        let headers: Vec<(String, String)> = response
            .headers
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .collect();
        match response.body {
            None => Ok(headers),
            Some(body) => {
                self.audit_refusal(&key, scope, info);
                let body = serde_json::from_str(&body).unwrap_or(Value::Null);
                let mut reply = Reply::new(429, body);
                reply.headers = headers;
                Err(reply)
            }
        }
    }

    /// Entries in the in-memory login failure table (`None` with Redis), for
    /// `/healthz`: an operator sees the table fill before it refuses anything.
    pub(crate) fn failure_entries(&self) -> Option<usize> {
        match &self.limits {
            Limits::Memory(memory) => Some(
                memory
                    .failures
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            ),
            Limits::Redis(_) => None,
        }
    }

    fn login_states(&self, username: &str, ip: &str, known: bool) -> Result<LoginStates, Reply> {
        match &self.limits {
            Limits::Memory(memory) => Ok(memory
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .states(username, ip, known)),
            Limits::Redis(store) => store
                .login_states(username, ip)
                .map_err(|e| Reply::store_error(&e)),
        }
    }

    fn record_login(
        &self,
        username: &str,
        ip: &str,
        known: bool,
        ok: bool,
        now: UnixTime,
    ) -> Result<(), Reply> {
        match &self.limits {
            Limits::Memory(memory) => memory
                .failures
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .record(&self.guard, username, ip, known, ok, now)
                .map_err(|_| Reply::store_error(&"the login failure table is full of live locks")),
            Limits::Redis(store) => if ok {
                store.record_login_success(&self.guard, username, ip)
            } else {
                store.record_login_failure(&self.guard, username, ip, now)
            }
            .map_err(|e| Reply::store_error(&e)),
        }
    }

    /// Checks credentials with lockout; `Ok` is the username.
    fn authenticate(&self, body: &Value, info: &RequestInfo) -> Result<String, Reply> {
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
        let ip = client_key(info);
        let now = now();
        let stored = self
            .users
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(username)
            .map(|u| u.password_hash.clone());
        let known = stored.is_some();
        let states = self.login_states(username, &ip, known)?;
        if let LockoutStatus::Locked { retry_after } = self.guard.status(&states, now) {
            self.audit(username, "login:locked", "user", username, info);
            let secs = retry_after_secs(retry_after).max(1);
            return Err(Reply::new(
                429,
                json!({"detail": "Too many failed login attempts. Try again later.", "code": "login_locked"}),
            )
            .header("Retry-After", secs.to_string()));
        }
        // An unknown user is checked against an unusable hash: same work, same answer.
        let encoded = stored.as_deref().unwrap_or("!");
        let verification = self
            .hasher
            .verify(password, encoded)
            .map_err(|e| Reply::new(400, json!({"detail": e.to_string(), "code": "invalid"})))?;
        if !verification.is_correct || stored.is_none() {
            self.record_login(username, &ip, known, false, now)?;
            self.audit(username, "login:fail", "user", username, info);
            return Err(Reply::new(
                401,
                json!({"detail": "No active account found with the given credentials", "code": "no_active_account"}),
            ));
        }
        self.record_login(username, &ip, known, true, now)?;
        if verification.must_update {
            // Django's upgrade on login: the hash moves to the preferred format.
            if let Ok(new_hash) = self.hasher.hash(password) {
                if let Some(user) = self
                    .users
                    .write()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_mut(username)
                {
                    user.password_hash = new_hash;
                }
                self.audit(username, "password:upgrade", "user", username, info);
            }
        }
        self.audit(username, "login:success", "user", username, info);
        Ok(username.to_owned())
    }

    /// `POST /api/token/`: SimpleJWT's obtain-pair view.
    pub(crate) fn obtain_pair(&self, body: &Value, info: &RequestInfo) -> Reply {
        let username = match self.authenticate(body, info) {
            Ok(u) => u,
            Err(reply) => return reply,
        };
        match self.tokens.issue_pair(&username, &json!({}), now()) {
            Ok(pair) => Reply::new(200, json!({"refresh": pair.refresh, "access": pair.access})),
            Err(e) => Reply::token_error(&e),
        }
    }

    /// `POST /api/session/`: the cookie flow's login: an HttpOnly access cookie and
    /// a fresh CSRF secret (Django's `rotate_token` at login).
    pub(crate) fn session_login(&self, body: &Value, info: &RequestInfo) -> Reply {
        let username = match self.authenticate(body, info) {
            Ok(u) => u,
            Err(reply) => return reply,
        };
        let pair = match self.tokens.issue_pair(&username, &json!({}), now()) {
            Ok(pair) => pair,
            Err(e) => return Reply::token_error(&e),
        };
        let lifetime = self
            .tokens
            .tokens()
            .config()
            .access_token_lifetime
            .as_secs();
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
    pub(crate) fn refresh(&self, body: &Value, info: &RequestInfo) -> Reply {
        let Some(token) = body.get("refresh").and_then(Value::as_str) else {
            return Reply::new(400, json!({"refresh": ["This field is required."]}));
        };
        match self.tokens.refresh(token, now()) {
            Ok(next) => {
                let mut body = json!({"access": next.access});
                if let Some(refresh) = next.refresh {
                    body["refresh"] = Value::String(refresh);
                }
                Reply::new(200, body)
            }
            Err(e) => {
                if e == TokenError::Reused {
                    self.audit("anonymous", "token:reuse", "token", "refresh", info);
                }
                Reply::token_error(&e)
            }
        }
    }

    /// `POST /api/token/verify/`: any token type, including revocation.
    pub(crate) fn verify(&self, body: &Value) -> Reply {
        let Some(token) = body.get("token").and_then(Value::as_str) else {
            return Reply::new(400, json!({"token": ["This field is required."]}));
        };
        match self.tokens.verify_any(token, now()) {
            Ok(_) => Reply::new(200, json!({})),
            Err(e) => Reply::token_error(&e),
        }
    }

    /// `POST /api/token/blacklist/`: logout, revoking the refresh token's family.
    pub(crate) fn logout(&self, body: &Value, info: &RequestInfo) -> Reply {
        let Some(token) = body.get("refresh").and_then(Value::as_str) else {
            return Reply::new(400, json!({"refresh": ["This field is required."]}));
        };
        let user = self
            .tokens
            .tokens()
            .verify(token, None, now())
            .ok()
            .and_then(|v| v.claims().user_id().map(str::to_owned))
            .unwrap_or_else(|| "anonymous".into());
        match self.tokens.logout(token, now()) {
            Ok(()) => {
                self.audit(&user, "session:logout", "user", &user, info);
                Reply::new(200, json!({}))
            }
            Err(e) => Reply::token_error(&e),
        }
    }

    /// The authenticated user: a bearer token, or the access cookie. `Ok` holds the
    /// user id and whether the cookie authenticated (so CSRF applies).
    pub(crate) fn authenticate_request(&self, info: &RequestInfo) -> Result<(String, bool), Reply> {
        let types = &self.tokens.tokens().config().auth_header_types;
        let unauthorized = |e: &TokenError| {
            if e.is_rejection() {
                Reply::new(401, e.authentication_body())
                    .header("WWW-Authenticate", www_authenticate(types))
            } else {
                Reply::token_error(e)
            }
        };
        let bearer = match info.authorization.as_deref() {
            Some(value) => {
                parse_authorization_header(value, types).map_err(|e| unauthorized(&e))?
            }
            None => None,
        };
        let (token, from_cookie) = match bearer {
            Some(token) => (token.to_owned(), false),
            None => {
                let jar = info.cookie.as_deref().map(parse_cookie_header);
                match jar
                    .and_then(Result::ok)
                    .and_then(|j| j.get(ACCESS_COOKIE).map(str::to_owned))
                {
                    Some(token) => (token, true),
                    None => {
                        return Err(Reply::new(
                            401,
                            json!({"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}),
                        )
                        .header("WWW-Authenticate", www_authenticate(types)));
                    }
                }
            }
        };
        let claims = self
            .tokens
            .verify_access(&token, now())
            .map_err(|e| unauthorized(&e))?;
        let user = claims.user_id().unwrap_or_default().to_owned();
        Ok((user, from_cookie))
    }

    /// Django's CSRF check for cookie-authenticated unsafe requests.
    pub(crate) fn check_csrf(&self, method: &str, info: &RequestInfo) -> Result<(), Reply> {
        let jar = info
            .cookie
            .as_deref()
            .map(parse_cookie_header)
            .and_then(Result::ok);
        let request = CsrfRequest {
            method,
            secure: self.cookie_secure,
            host: info.host.as_deref(),
            port: info
                .host
                .as_deref()
                .and_then(|h| h.rsplit_once(':'))
                .and_then(|(_, p)| p.parse().ok())
                .unwrap_or(80),
            origin: info.origin.as_deref(),
            referer: info.referer.as_deref(),
            cookie: jar.as_ref().and_then(|j| j.get(CSRF_COOKIE)),
            header_token: info.csrf_header.as_deref(),
            form_token: None,
        };
        self.csrf.check(&request).map_err(|rejection| {
            Reply::new(
                403,
                json!({"detail": format!("CSRF Failed: {}", rejection.reason), "code": rejection.failure.code()}),
            )
        })
    }

    /// `GET /api/me/`: the user and their note, unsealed.
    pub(crate) fn me(&self, user: &str) -> Reply {
        let users = self.users.read().unwrap_or_else(PoisonError::into_inner);
        let Some(record) = users.get(user) else {
            return Reply::new(404, json!({"detail": "Not found.", "code": "not_found"}));
        };
        match record.note.open(&self.sealed, &note_context(user)) {
            Ok(note) => Reply::new(
                200,
                json!({"user": user, "note": note, "note_sealed_kid": self.sealed.primary_kid()}),
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
        if let Some(record) = self
            .users
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(user)
        {
            record.note = sealed;
        }
        self.audit(user, "note:update", "user", user, info);
        Reply::new(200, json!({"user": user, "note": note}))
    }

    /// `POST /api/logout-everywhere/`: revokes every token of the user issued up to
    /// now (to the millisecond: the next login, even in the same second, is valid).
    pub(crate) fn logout_everywhere(&self, user: &str, info: &RequestInfo) -> Reply {
        let cutoff = now();
        match self.tokens.revoke_user_before(user, cutoff) {
            Ok(()) => {
                self.audit(user, "session:logout-all", "user", user, info);
                Reply::new(200, json!({"revoked_before": cutoff.as_secs_f64()}))
            }
            Err(e) => Reply::token_error(&e),
        }
    }
}
