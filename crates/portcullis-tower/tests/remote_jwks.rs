//! A remote issuer through the authentication layer: its tokens verify with the
//! keys of its JWKS, fetched by an in-test fetcher that counts, on an unknown
//! `kid` (not within the floor), on expiry, keeping the last good set on
//! failure, once for many concurrent requests, and never from a set that
//! carries a secret.

mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use portcullis::clock::{Clock, FixedClock};
use portcullis::jose::jwks::JwksPolicy;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Algorithm, Keyring, MemoryRevocationStore, SigningKey, TokenConfig, TokenKind, Tokens,
};
use portcullis_tower::{Authenticated, Authenticator, FetchedJwks, JwksFetch, RemoteIssuer};
use serde_json::json;
use support::{SECRET, access, clock, config, ed25519, jwks, request, send, tokens};
use tokio::sync::Semaphore;

const ISSUER: &str = "https://issuer.example";

/// The remote issuer's rules: SimpleJWT's claims, its `iss`, EdDSA and ES256.
fn remote_config() -> TokenConfig {
    let mut config = config();
    config.issuer = Some(ISSUER.to_owned());
    config.algorithms = vec![Algorithm::EdDSA, Algorithm::ES256];
    config
}

/// The remote issuer itself, signing with `key`.
fn issuer(key: SigningKey) -> Tokens {
    Tokens::new(remote_config(), Keyring::new(key)).unwrap_or_else(|e| panic!("{e}"))
}

/// Serves what the test sets, counts fetches, and waits at a gate if there is one.
#[derive(Clone)]
struct Fetcher {
    answer: Arc<Mutex<Result<FetchedJwks, String>>>,
    count: Arc<AtomicUsize>,
    gate: Option<Arc<Semaphore>>,
}

impl Fetcher {
    /// A fetcher that fails until told what to serve.
    fn failing() -> Self {
        Self {
            answer: Arc::new(Mutex::new(Err("connection refused".into()))),
            count: Arc::default(),
            gate: None,
        }
    }

    fn serving(body: String, cache_control: Option<&str>) -> Self {
        let fetcher = Self::failing();
        fetcher.serve(body, cache_control);
        fetcher
    }

    fn serve(&self, body: String, cache_control: Option<&str>) {
        *self.answer.lock().unwrap_or_else(|e| panic!("{e}")) = Ok(FetchedJwks {
            body,
            cache_control: cache_control.map(str::to_owned),
        });
    }

    fn fail(&self) {
        *self.answer.lock().unwrap_or_else(|e| panic!("{e}")) = Err("connection refused".into());
    }

    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }
}

impl JwksFetch for Fetcher {
    type Error = String;

    fn fetch(&self) -> impl Future<Output = Result<FetchedJwks, String>> + Send {
        self.count.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer.lock().unwrap_or_else(|e| panic!("{e}")).clone();
        let gate = self.gate.clone();
        async move {
            if let Some(gate) = gate {
                let _open = gate.acquire().await;
            }
            answer
        }
    }
}

async fn whoami(axum::Extension(user): axum::Extension<Authenticated>) -> String {
    user.user_id().to_owned()
}

/// A bearer-protected route over the local HS256 engine and the remote issuer,
/// at the time of `clock`.
fn service(fetcher: &Fetcher, clock: &Arc<FixedClock>) -> (Router, Authenticator) {
    let remote = RemoteIssuer::new(remote_config(), JwksPolicy::default(), fetcher.clone())
        .unwrap_or_else(|e| panic!("{e}"));
    let auth = Authenticator::new(tokens(), Arc::new(MemoryRevocationStore::default()))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_clock(Arc::clone(clock) as Arc<dyn Clock>)
        .with_remote_issuer(remote)
        .unwrap_or_else(|e| panic!("{e}"));
    let router = Router::new()
        .route("/me", get(whoami))
        .layer(auth.required());
    (router, auth)
}

async fn get_me(app: &Router, token: &str) -> support::Answer {
    let header = format!("Bearer {token}");
    send(app, request("GET", "/me", &[("authorization", &header)])).await
}

fn token(issuer: &Tokens, user: &str, clock: &FixedClock) -> String {
    issuer
        .issue(TokenKind::Access, user, &(), clock.now())
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The service, and the remote issuer signing with one Ed25519 key
/// (`remote-1`) whose JWKS the fetcher serves with `cache_control`.
struct Scene {
    fetcher: Fetcher,
    clock: Arc<FixedClock>,
    app: Router,
    auth: Authenticator,
    remote: Tokens,
}

impl Scene {
    fn new(cache_control: Option<&str>) -> Self {
        let key = ed25519(1, "remote-1");
        let fetcher = Fetcher::serving(jwks(&[&key]), cache_control);
        let clock = clock();
        let (app, auth) = service(&fetcher, &clock);
        Self {
            fetcher,
            clock,
            app,
            auth,
            remote: issuer(key),
        }
    }

    /// `/me` with a fresh token of the remote issuer for `user`.
    async fn get_as(&self, user: &str) -> support::Answer {
        get_me(&self.app, &token(&self.remote, user, &self.clock)).await
    }
}

#[tokio::test]
async fn an_eddsa_token_of_the_remote_issuer_verifies_after_one_fetch() {
    let scene = Scene::new(Some("max-age=600"));
    for user in ["7", "8"] {
        let answer = scene.get_as(user).await;
        assert_eq!((answer.status.as_u16(), answer.text.as_str()), (200, user));
    }
    assert_eq!(
        scene.fetcher.count(),
        1,
        "the second token used the cached set"
    );
    // The local engine's tokens verify as before, without a fetch.
    let answer = get_me(&scene.app, &access(scene.auth.tokens(), "42")).await;
    assert_eq!((answer.status.as_u16(), answer.text.as_str()), (200, "42"));
    assert_eq!(scene.fetcher.count(), 1);
    let remote = scene.auth.remote_issuer();
    assert_eq!(remote.map(RemoteIssuer::key_count), Some(1));
}

#[tokio::test]
async fn a_second_unknown_kid_within_the_floor_is_refused_without_a_fetch() {
    let Scene {
        fetcher,
        clock,
        app,
        ..
    } = Scene::new(Some("max-age=600"));
    assert_eq!(
        get_me(&app, &token(&issuer(ed25519(1, "remote-1")), "7", &clock))
            .await
            .status,
        200
    );
    // The issuer rotates; its new kid arrives 5 s later, within the 10 s floor.
    let rotated = ed25519(2, "remote-2");
    fetcher.serve(
        jwks(&[&ed25519(1, "remote-1"), &rotated]),
        Some("max-age=600"),
    );
    clock.advance(Duration::from_secs(5));
    let new_token = token(&issuer(rotated), "7", &clock);
    let answer = get_me(&app, &new_token).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.body["code"], "token_not_valid");
    assert_eq!(fetcher.count(), 1, "no fetch within the floor");
    // Past the floor, the unknown kid fetches and the rotated key verifies.
    clock.advance(Duration::from_secs(5));
    let answer = get_me(&app, &new_token).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(fetcher.count(), 2);
}

#[tokio::test]
async fn after_max_age_the_set_is_refreshed() {
    let scene = Scene::new(Some("public, max-age=120"));
    assert_eq!(scene.get_as("7").await.status, 200);
    scene.clock.advance(Duration::from_secs(119));
    assert_eq!(scene.get_as("7").await.status, 200);
    assert_eq!(scene.fetcher.count(), 1, "still fresh");
    // The issuer drops the key; once the set is stale the refresh sees it.
    let replaced = jwks(&[&ed25519(3, "remote-3")]);
    scene.fetcher.serve(replaced, Some("max-age=120"));
    scene.clock.advance(Duration::from_secs(1));
    let answer = scene.get_as("7").await;
    assert_eq!(scene.fetcher.count(), 2, "refreshed at max-age");
    assert_eq!(answer.status, 401, "{}", answer.text);
}

#[tokio::test]
async fn a_failing_fetch_keeps_the_last_good_set() {
    let scene = Scene::new(Some("max-age=60"));
    let last_failure = || {
        scene
            .auth
            .remote_issuer()
            .and_then(RemoteIssuer::last_failure)
    };
    assert_eq!(scene.get_as("7").await.status, 200);
    scene.fetcher.fail();
    scene.clock.advance(Duration::from_secs(61));
    let answer = scene.get_as("7").await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(scene.fetcher.count(), 2, "the stale set was refetched");
    assert_eq!(
        last_failure().as_deref(),
        Some("the JWKS fetch failed: connection refused")
    );
    // A body that is not a JWKS is a failure too: the set stays.
    scene.fetcher.serve("<html>".to_owned(), None);
    scene.clock.advance(Duration::from_secs(10));
    assert_eq!(scene.get_as("7").await.status, 200);
    assert_eq!(scene.fetcher.count(), 3);
    assert!(last_failure().is_some_and(|f| f.starts_with("the JWKS was refused: malformed JWKS")));
}

#[tokio::test]
async fn without_any_good_set_the_remote_tokens_are_refused_with_503() {
    let scene = Scene::new(None);
    scene.fetcher.fail();
    let answer = scene.get_as("7").await;
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert_eq!(answer.body["code"], "jwks_unavailable");
    // Within the floor no fetch is tried; still refused.
    assert_eq!(scene.get_as("7").await.status, 503);
    assert_eq!(scene.fetcher.count(), 1);
    // Local tokens are not affected.
    let answer = get_me(&scene.app, &access(scene.auth.tokens(), "42")).await;
    assert_eq!(answer.status, 200);
}

/// An HS256 token claiming the remote issuer, signed with `secret` under `kid`.
fn hmac_token(secret: &[u8], kid: Option<&str>, clock: &FixedClock) -> String {
    let mut key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(secret))
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(kid) = kid {
        key = key.with_kid(kid);
    }
    let mut config = remote_config();
    config.algorithms = vec![Algorithm::HS256];
    let tokens = Tokens::new(config, Keyring::new(key)).unwrap_or_else(|e| panic!("{e}"));
    token(&tokens, "7", clock)
}

#[tokio::test]
async fn a_jwks_with_a_secret_or_private_members_cannot_make_a_token_verify() {
    let clock = clock();
    let secret = b"a-shared-secret-of-at-least-thirty-two-bytes";
    // `k` is a private member: the whole set is refused.
    let oct = json!({"keys": [{"kty": "oct", "kid": "h", "alg": "HS256",
        "k": "YS1zaGFyZWQtc2VjcmV0LW9mLWF0LWxlYXN0LXRoaXJ0eS10d28tYnl0ZXM"}]});
    let fetcher = Fetcher::serving(oct.to_string(), None);
    let (app, auth) = service(&fetcher, &clock);
    let answer = get_me(&app, &hmac_token(secret, Some("h"), &clock)).await;
    assert_eq!(answer.status, 503, "{}", answer.text);
    let failure = auth.remote_issuer().and_then(RemoteIssuer::last_failure);
    assert!(failure.is_some_and(|f| f.contains("private member `k`")));

    // An EC key with its private scalar `d`: refused whole too.
    let mut leaked: serde_json::Value =
        serde_json::from_str(&jwks(&[&ed25519(1, "remote-1")])).unwrap_or_default();
    leaked["keys"][0]["d"] = json!("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
    let fetcher = Fetcher::serving(leaked.to_string(), None);
    let (app, _) = service(&fetcher, &clock);
    let signed = token(&issuer(ed25519(1, "remote-1")), "7", &clock);
    assert_eq!(get_me(&app, &signed).await.status, 503);

    // A good set beside an `oct` entry without `k`: the entry is skipped, so an
    // HS256 token naming it, or naming the Ed25519 key's kid, is refused.
    let key = ed25519(1, "remote-1");
    let mut set: serde_json::Value = serde_json::from_str(&jwks(&[&key])).unwrap_or_default();
    if let Some(keys) = set["keys"].as_array_mut() {
        keys.push(json!({"kty": "oct", "kid": "h", "alg": "HS256"}));
    }
    let fetcher = Fetcher::serving(set.to_string(), None);
    let (app, _) = service(&fetcher, &clock);
    for kid in ["h", "remote-1"] {
        let answer = get_me(&app, &hmac_token(secret, Some(kid), &clock)).await;
        assert_eq!(answer.status, 401, "kid {kid}: {}", answer.text);
    }
    assert_eq!(
        get_me(&app, &token(&issuer(key), "7", &clock)).await.status,
        200
    );
}

#[tokio::test]
async fn a_token_claiming_the_remote_issuer_is_verified_with_the_remote_keys_only() {
    let key = ed25519(1, "remote-1");
    let fetcher = Fetcher::serving(jwks(&[&key]), None);
    let clock = clock();
    let (app, _) = service(&fetcher, &clock);
    // Signed with the local engine's own secret: the local engine (no issuer
    // configured) would accept it, but its `iss` sends it to the remote keys.
    let answer = get_me(&app, &hmac_token(SECRET, None, &clock)).await;
    assert_eq!(answer.status, 401, "{}", answer.text);
    assert_eq!(answer.body["code"], "token_not_valid");
}

#[tokio::test]
async fn concurrent_requests_for_an_unknown_kid_share_one_fetch() {
    let key = ed25519(1, "remote-1");
    let gate = Arc::new(Semaphore::new(0));
    let fetcher = Fetcher {
        gate: Some(Arc::clone(&gate)),
        ..Fetcher::serving(jwks(&[&key]), None)
    };
    let clock = clock();
    let (app, _) = service(&fetcher, &clock);
    let signed = token(&issuer(key), "7", &clock);
    let requests: Vec<_> = (0..16)
        .map(|_| {
            let (app, signed) = (app.clone(), signed.clone());
            tokio::spawn(async move { get_me(&app, &signed).await.status })
        })
        .collect();
    // Every request reaches the fetch (or the wait for it) while the gate is shut.
    for _ in 0..200 {
        tokio::task::yield_now().await;
    }
    assert_eq!(fetcher.count(), 1, "the others wait for the first fetch");
    gate.add_permits(Semaphore::MAX_PERMITS);
    for request in requests {
        assert_eq!(request.await.unwrap_or_else(|e| panic!("{e}")), 200);
    }
    assert_eq!(fetcher.count(), 1);
}

#[test]
fn a_remote_issuer_refuses_hmac_algorithms_and_a_missing_or_shared_issuer() {
    let fetcher = Fetcher::failing();
    let policy = JwksPolicy::default();
    let mut hmac = remote_config();
    hmac.algorithms.push(Algorithm::HS256);
    let error = RemoteIssuer::new(hmac, policy, fetcher.clone()).map(drop);
    assert!(error.is_err_and(|e| e.to_string().starts_with("algorithms: ")));
    let mut unnamed = remote_config();
    unnamed.issuer = None;
    let error = RemoteIssuer::new(unnamed, policy, fetcher.clone()).map(drop);
    assert!(error.is_err_and(|e| e.to_string().starts_with("issuer: ")));

    let mut local = config();
    local.issuer = Some(ISSUER.to_owned());
    let key = SigningKey::hmac(Algorithm::HS256, &SecretBytes::from_slice(SECRET))
        .unwrap_or_else(|e| panic!("{e}"));
    let local = Tokens::new(local, Keyring::new(key)).unwrap_or_else(|e| panic!("{e}"));
    let remote =
        RemoteIssuer::new(remote_config(), policy, fetcher).unwrap_or_else(|e| panic!("{e}"));
    let shared = Authenticator::new(Arc::new(local), Arc::new(MemoryRevocationStore::default()))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_remote_issuer(remote)
        .map(drop);
    assert!(shared.is_err_and(|e| e.to_string().starts_with("issuer: ")));
}
