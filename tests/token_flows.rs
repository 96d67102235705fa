//! The revocation flows against attacks and edge cases: reuse detection for
//! SimpleJWT-made refresh tokens, same-second "log out everywhere", tokens without a
//! user, fractional NumericDate, a bounded store filled across time, and sliding
//! tokens that must not come back after a logout.

use std::time::Duration;

use portcullis::clock::UnixTime;
use portcullis::secret::SecretBytes;
use portcullis::token::{
    Keyring, MemoryRevocationStore, RevocationStore, SigningKey, Status, StoreAnswer, StoreStep,
    TokenConfig, TokenError, TokenKind, TokenService, Tokens, inspect,
};
use serde_json::{Value, json};

const SECRET: &[u8] = b"django-insecure-0123456789abcdefghijklmnopqrstuvwxyz";
const NOW: u64 = 1_800_000_000;

fn at(secs: u64) -> UnixTime {
    UnixTime::from_secs(secs).unwrap()
}

fn at_ms(secs: u64, millis: u64) -> UnixTime {
    UnixTime::from_nanos(secs * 1_000_000_000 + millis * 1_000_000)
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/token/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hs256(secret: &[u8]) -> SigningKey {
    SigningKey::hmac(
        portcullis::token::Algorithm::HS256,
        &SecretBytes::from_slice(secret),
    )
    .unwrap()
}

fn service(config: TokenConfig) -> TokenService {
    TokenService::in_memory(config, Keyring::new(hs256(SECRET))).unwrap()
}

fn forge(payload: &Value) -> String {
    use base64::Engine as _;
    let b64 = |v: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let header = json!({"alg": "HS256", "typ": "JWT"}).to_string();
    let input = format!(
        "{}.{}",
        b64(header.as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, SECRET);
    let sig = ring::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(sig.as_ref()))
}

/// The HS256 SimpleJWT-made refresh token of the fixtures (no `family` claim), and a
/// rotating service holding the same Django `SECRET_KEY`.
fn simplejwt_refresh() -> (String, u64, TokenService) {
    let data = fixture("simplejwt_tokens.json");
    let case = data["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "refresh" && c["alg"] == "HS256" && c["audience"].is_null())
        .unwrap()
        .clone();
    assert!(
        case["claims"].get("family").is_none(),
        "SimpleJWT writes no family"
    );
    let secret = data["secret_key"].as_str().unwrap().as_bytes().to_vec();
    let mut config = TokenConfig::simplejwt_defaults();
    config.rotate_refresh_tokens = true;
    config.blacklist_after_rotation = true;
    let svc = TokenService::in_memory(config, Keyring::new(hs256(&secret))).unwrap();
    let iat = case["claims"]["iat"].as_u64().unwrap();
    (case["token"].as_str().unwrap().to_owned(), iat, svc)
}

#[test]
fn replaying_a_simplejwt_refresh_token_revokes_the_chain_rotated_from_it() {
    let (original, iat, svc) = simplejwt_refresh();
    let t = at(iat + 60);
    let first = svc.refresh(&original, t).unwrap();
    let rotated = first.refresh.clone().unwrap();
    // The thief keeps the chain going.
    let second = svc.refresh(&rotated, t).unwrap();
    let latest = second.refresh.clone().unwrap();
    svc.verify_access(&second.access, t).unwrap();
    // The rightful holder's copy of the original comes back: a replay.
    assert_eq!(svc.refresh(&original, t), Err(TokenError::Reused));
    assert_eq!(svc.refresh(&latest, t), Err(TokenError::Blacklisted));
    assert_eq!(
        svc.verify(&latest, TokenKind::Refresh, t),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&first.access, t),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&second.access, t),
        Err(TokenError::Blacklisted)
    );
}

#[test]
fn the_family_of_a_simplejwt_refresh_token_is_derived_the_same_everywhere() {
    let (original, iat, a) = simplejwt_refresh();
    let (_, _, b) = simplejwt_refresh();
    let t = at(iat + 60);
    let family = |token: &str| inspect(token, 8192).unwrap().claims["family"].clone();
    let from_a = a.refresh(&original, t).unwrap();
    let from_b = b.refresh(&original, t).unwrap();
    assert!(family(from_a.refresh.as_ref().unwrap()).is_string());
    assert_eq!(
        family(from_a.refresh.as_ref().unwrap()),
        family(from_b.refresh.as_ref().unwrap())
    );
    // The access tokens minted on the way carry it too.
    assert_eq!(
        family(&from_a.access),
        family(from_a.refresh.as_ref().unwrap())
    );
}

#[test]
fn the_sans_io_refresh_of_a_simplejwt_token_revokes_the_chain_too() {
    let (original, iat, svc) = simplejwt_refresh();
    let tokens: &Tokens = svc.tokens();
    let store = MemoryRevocationStore::default();
    let t = at(iat + 60);
    let refresh = |token: &str| {
        let plan = tokens.begin_refresh(token, t).unwrap();
        let StoreStep::Consume(lookup) = plan.store_step() else {
            panic!("rotation with blacklisting consumes")
        };
        let answer = StoreAnswer::Consumed(store.consume(&lookup).unwrap());
        let out = plan.finish(answer);
        if out == Err(TokenError::Reused) {
            store.revoke(plan.reuse_revocation()).unwrap();
        }
        out
    };
    let first = refresh(&original).unwrap();
    let second = refresh(first.refresh.as_ref().unwrap()).unwrap();
    assert_eq!(refresh(&original), Err(TokenError::Reused));
    for token in [&first.access, &second.access] {
        let verified = tokens.verify(token, Some(TokenKind::Access), t).unwrap();
        assert_eq!(store.status(&verified.lookup()).unwrap(), Status::Revoked);
    }
    let latest = tokens
        .verify(
            second.refresh.as_ref().unwrap(),
            Some(TokenKind::Refresh),
            t,
        )
        .unwrap();
    assert_eq!(store.status(&latest.lookup()).unwrap(), Status::Revoked);
}

#[test]
fn revoke_all_refuses_every_token_up_to_the_call_and_accepts_the_next_login() {
    let svc = service(TokenConfig::hardened());
    // The attacker's login, then the password change, then the user's new login,
    // all inside one second.
    let stolen = svc.issue_pair("7", &json!({}), at_ms(NOW, 200)).unwrap();
    let same_instant = svc.issue_pair("7", &json!({}), at_ms(NOW, 500)).unwrap();
    svc.revoke_user_before("7", at_ms(NOW, 500)).unwrap();
    let fresh = svc.issue_pair("7", &json!({}), at_ms(NOW, 501)).unwrap();
    let check = at_ms(NOW, 900);
    assert_eq!(
        svc.verify_access(&stolen.access, check),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.refresh(&stolen.refresh, check),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.verify_access(&same_instant.access, check),
        Err(TokenError::Blacklisted)
    );
    svc.verify_access(&fresh.access, check).unwrap();
    svc.refresh(&fresh.refresh, check).unwrap();
}

#[test]
fn a_whole_second_iat_inside_the_cutoff_second_is_refused() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let token = |iat: u64| {
        forge(
            &json!({"token_type": "access", "exp": NOW + 300, "iat": iat,
                      "jti": format!("{iat:032}"), "user_id": "7"}),
        )
    };
    svc.revoke_user_before("7", at_ms(NOW, 400)).unwrap();
    let check = at(NOW + 2);
    // SimpleJWT's `iat` is truncated: NOW may mean NOW.9, after the call. Refused.
    assert_eq!(
        svc.verify_access(&token(NOW), check),
        Err(TokenError::Blacklisted)
    );
    svc.verify_access(&token(NOW + 1), check).unwrap();
}

fn userless(kind: &str) -> String {
    forge(&json!({"token_type": kind, "exp": NOW + 300, "iat": NOW,
                  "jti": "0123456789abcdef0123456789abcdef", "refresh_exp": NOW + 600}))
}

#[test]
fn an_access_or_sliding_token_without_a_user_is_refused_as_simplejwt_does() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let err = svc.verify_access(&userless("access"), at(NOW)).unwrap_err();
    assert_eq!(err, TokenError::NoUserId);
    assert_eq!(
        err.to_string(),
        "Token contained no recognizable user identification"
    );
    assert_eq!(err.code(), "token_not_valid");
    assert_eq!(
        svc.verify(&userless("sliding"), TokenKind::Sliding, at(NOW)),
        Err(TokenError::NoUserId)
    );
    assert_eq!(
        svc.verify(&userless("access"), TokenKind::Access, at(NOW)),
        Err(TokenError::NoUserId)
    );
    // The sans-I/O verify says the same once the store has answered.
    let verified = svc
        .tokens()
        .verify(&userless("access"), Some(TokenKind::Access), at(NOW))
        .unwrap();
    assert_eq!(verified.finish(Status::Active), Err(TokenError::NoUserId));
    // SimpleJWT's verify endpoint looks up no user: it keeps accepting.
    svc.verify_any(&userless("access"), at(NOW)).unwrap();
}

#[test]
fn fractional_numeric_dates_are_accepted_and_compared_exactly() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let token = forge(&json!({"token_type": "access", "exp": 1_893_456_000.5,
        "iat": 1_893_455_900.25, "nbf": 1_893_455_950.75,
        "jti": "0123456789abcdef0123456789abcdef", "user_id": "7"}));
    let nanos = |n: u64| UnixTime::from_nanos(n);
    svc.verify_access(&token, nanos(1_893_455_999_999_999_999))
        .unwrap();
    assert_eq!(
        svc.verify_access(&token, nanos(1_893_456_000_500_000_000)),
        Err(TokenError::Expired)
    );
    assert_eq!(
        svc.verify_access(&token, nanos(1_893_455_950_749_999_999)),
        Err(TokenError::Invalid(portcullis::token::Invalid::NotYetValid))
    );
    svc.verify_access(&token, nanos(1_893_455_950_750_000_000))
        .unwrap();
    // Leeway as for whole seconds: 30 s more.
    let mut config = TokenConfig::simplejwt_defaults();
    config.leeway = Duration::from_secs(30);
    let lenient = service(config);
    lenient
        .verify_access(&token, nanos(1_893_456_030_499_999_999))
        .unwrap();
    assert_eq!(
        lenient.verify_access(&token, nanos(1_893_456_030_500_000_000)),
        Err(TokenError::Expired)
    );
}

#[test]
fn numeric_dates_that_are_not_numbers_in_range_are_refused() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let bad = TokenError::Invalid(portcullis::token::Invalid::ClaimType);
    for exp in [
        json!("1893456000"),
        json!(true),
        json!(-1),
        json!(-0.5),
        json!(1e300),
        json!(u64::MAX),
        json!(null),
        json!([1]),
    ] {
        let token = forge(&json!({"token_type": "access", "exp": exp,
            "iat": NOW, "jti": "0123456789abcdef0123456789abcdef", "user_id": "7"}));
        assert_eq!(
            svc.verify_access(&token, at(NOW)),
            Err(bad.clone()),
            "{exp}"
        );
    }
}

#[test]
fn a_small_store_filled_past_capacity_across_time_keeps_detecting_reuse() {
    let mut config = TokenConfig::hardened();
    config.access_token_lifetime = Duration::from_secs(60);
    config.refresh_token_lifetime = Duration::from_secs(300);
    config.sliding_token_refresh_lifetime = Duration::from_secs(300);
    config.leeway = Duration::ZERO;
    let svc = TokenService::new(
        Tokens::new(config, Keyring::new(hs256(SECRET))).unwrap(),
        MemoryRevocationStore::with_capacity(8),
    );
    // Forty rotations a minute apart: five times the capacity, never purged by hand.
    let mut t = NOW;
    let mut chain = svc.issue_pair("7", &json!({}), at(t)).unwrap().refresh;
    let mut consumed = Vec::new();
    for _ in 0..40 {
        t += 60;
        let next = svc.refresh(&chain, at(t)).unwrap().refresh.unwrap();
        consumed.push(std::mem::replace(&mut chain, next));
    }
    assert!(svc.store().len() <= 8);
    // A flood of other sessions' refreshes at one instant fills the room they may use.
    let mut refused = 0;
    for _ in 0..20 {
        let other = svc.issue_pair("8", &json!({}), at(t)).unwrap();
        if let Err(e) = svc.refresh(&other.refresh, at(t)) {
            assert!(matches!(e, TokenError::Store(_)), "{e:?}");
            refused += 1;
        }
    }
    assert!(refused > 0, "the store stays bounded");
    // The thief replays the last consumed token: reuse is still detected and the
    // chain revoked, because revocations have room of their own.
    let replayed = consumed.last().unwrap();
    assert_eq!(svc.refresh(replayed, at(t)), Err(TokenError::Reused));
    assert_eq!(svc.refresh(&chain, at(t)), Err(TokenError::Blacklisted));
    // Logout still has room too.
    let session = svc.issue_pair("9", &json!({}), at(t)).unwrap();
    svc.logout(&session.refresh, at(t)).unwrap();
    assert_eq!(
        svc.verify_access(&session.access, at(t)),
        Err(TokenError::Blacklisted)
    );
}

#[test]
fn a_sliding_token_logged_out_stays_dead_in_every_renewed_copy() {
    let mut config = TokenConfig::simplejwt_defaults();
    config.leeway = Duration::from_secs(30);
    let svc = service(config);
    let token = svc.issue_sliding("7", &json!({}), at(NOW)).unwrap();
    // The thief renewed a copy before the user logged out with the original.
    let renewed = svc.refresh_sliding(&token, at(NOW + 200)).unwrap();
    svc.logout(&token, at(NOW + 210)).unwrap();
    assert_eq!(
        svc.verify(&renewed, TokenKind::Sliding, at(NOW + 220)),
        Err(TokenError::Blacklisted)
    );
    // Long after the original's exp, through purges, the copy stays dead.
    for later in [NOW + 331, NOW + 480, NOW + 86_400, NOW + 86_400 + 300] {
        svc.purge_expired(at(later)).unwrap();
        assert_eq!(
            svc.refresh_sliding(&renewed, at(NOW + 220)),
            Err(TokenError::Blacklisted),
            "after a purge at {later}"
        );
    }
    // Once no copy can verify any more, the entry goes.
    assert_eq!(svc.purge_expired(at(NOW + 86_400 + 300 + 60)).unwrap(), 1);
}

#[test]
fn revoke_token_revokes_one_token_for_exactly_as_long_as_it_can_verify() {
    let mut config = TokenConfig::simplejwt_defaults();
    config.leeway = Duration::from_secs(30);
    let svc = service(config);
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let other = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    // The sans-I/O step says what to record: the id, until exp plus the leeway.
    let revocation = svc.tokens().revoke_token(&pair.access, at(NOW)).unwrap();
    let jti = inspect(&pair.access, 8192).unwrap().claims["jti"].clone();
    assert_eq!(
        revocation,
        portcullis::token::Revocation::Jti {
            jti: jti.as_str().unwrap().to_owned(),
            until: at(NOW + 300 + 30),
        }
    );
    svc.revoke_token(&pair.access, at(NOW)).unwrap();
    assert_eq!(
        svc.verify_access(&pair.access, at(NOW + 1)),
        Err(TokenError::Blacklisted)
    );
    svc.verify_access(&other.access, at(NOW + 1)).unwrap();
    // Kept while the token is inside its leeway, dropped once it cannot verify.
    assert_eq!(svc.purge_expired(at(NOW + 329)).unwrap(), 0);
    assert_eq!(
        svc.verify_access(&pair.access, at(NOW + 329)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(svc.purge_expired(at(NOW + 330)).unwrap(), 1);
    // A forged or expired token records nothing.
    assert!(svc.revoke_token("not.a.token", at(NOW)).is_err());
    assert_eq!(
        svc.revoke_token(&other.access, at(NOW + 330)),
        Err(TokenError::Expired)
    );
    assert!(svc.store().is_empty());
}

#[test]
fn revoke_jti_takes_a_blacklisted_id_from_django() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let pair = svc.issue_pair("7", &json!({}), at(NOW)).unwrap();
    let claims = inspect(&pair.refresh, 8192).unwrap().claims;
    let jti = claims["jti"].as_str().unwrap();
    let exp = claims["exp"].as_u64().unwrap();
    svc.revoke_jti(jti, at(exp)).unwrap();
    assert_eq!(
        svc.refresh(&pair.refresh, at(NOW + 1)),
        Err(TokenError::Blacklisted)
    );
    assert_eq!(
        svc.tokens().revoke_jti(jti, at(exp)),
        portcullis::token::Revocation::Jti {
            jti: jti.to_owned(),
            until: at(exp)
        }
    );
    assert_eq!(svc.purge_expired(at(exp)).unwrap(), 1);
}

#[test]
fn revoking_a_sliding_token_covers_its_last_renewal() {
    let svc = service(TokenConfig::simplejwt_defaults());
    let token = svc.issue_sliding("7", &json!({}), at(NOW)).unwrap();
    let revocation = svc.tokens().revoke_token(&token, at(NOW)).unwrap();
    // refresh_exp (a day) plus the sliding lifetime (five minutes), no leeway here.
    let portcullis::token::Revocation::Jti { until, .. } = revocation else {
        panic!("one id")
    };
    assert_eq!(until, at(NOW + 86_400 + 300));
}
