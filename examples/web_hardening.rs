//! Web hardening end to end, the way a handler would use it: security headers and
//! the HTTPS redirect, CORS, CSRF, cookies, API keys and the audit trail.
//!
//! ```text
//! cargo run --example web_hardening
//! ```

use portcullis::apikey::{ApiKey, ApiKeyPepper};
use portcullis::audit::{AuditChain, AuditEvent, AuditKey, MemorySink, verify_chain};
use portcullis::clock::{Clock, SystemClock};
use portcullis::secret::SecretBytes;
use portcullis::web::cookie::{SameSite, SetCookie, parse_cookie_header};
use portcullis::web::cors::{CorsPolicy, CorsRequest};
use portcullis::web::csrf::{CsrfPolicy, CsrfRequest, CsrfSecret};
use portcullis::web::headers::{
    Allowlist, ContentSecurityPolicy, PermissionsPolicy, SecurityConfig,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    headers()?;
    cors()?;
    csrf_and_cookies()?;
    api_keys()?;
    audit()?;
    println!("web_hardening: done");
    Ok(())
}

fn headers() -> Result<(), Box<dyn std::error::Error>> {
    println!("== security headers");
    let headers = {
        let mut config = SecurityConfig::default();
        config.hsts_seconds = 63_072_000;
        config.hsts_include_subdomains = true;
        config.hsts_preload = true;
        config.content_security_policy = Some(
            ContentSecurityPolicy::strict_default().directive("img-src", &["'self'", "data:"]),
        );
        config.permissions_policy = Some(
            PermissionsPolicy::new()
                .feature("geolocation", Allowlist::Nobody)
                .feature("camera", Allowlist::Nobody),
        );
        config.ssl_redirect = true;
        config.redirect_exempt = vec!["healthz".into()];
        config
    }
    .build()?;
    // The handler already chose its own Referrer-Policy: it is left alone.
    for (name, value) in headers.headers_for(true, &["Referrer-Policy"]) {
        println!("  {name}: {value}");
    }
    println!(
        "  http://shop.example/cart -> {:?}; /healthz -> {:?}",
        headers.redirect(false, "shop.example", "/cart")?,
        headers.redirect(false, "shop.example", "/healthz")?
    );
    let refused = {
        let mut config = SecurityConfig::default();
        config.hsts_seconds = 3600;
        config.hsts_preload = true;
        config
    }
    .build()
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    println!("  preload without includeSubDomains is refused: {refused}");
    Ok(())
}

fn cors() -> Result<(), Box<dyn std::error::Error>> {
    println!("== CORS");
    let policy = CorsPolicy::builder()
        .allow_origin("https://app.example.com")
        .allow_origin_pattern("https://*.preview.example.com")
        .allow_methods(&["PUT", "DELETE"])
        .allow_headers(&["content-type", "authorization"])
        .allow_credentials(true)
        .max_age(600)
        .build()?;
    for origin in [
        "https://app.example.com",
        "https://pr-7.preview.example.com",
        "https://evil.example",
        "null",
    ] {
        let decision = policy.evaluate(&CorsRequest {
            method: "OPTIONS",
            origin: Some(origin),
            request_method: Some("DELETE"),
            request_headers: Some("authorization"),
        });
        println!("  preflight from {origin}: {decision:?}");
    }
    let err = CorsPolicy::builder()
        .allow_any_origin()
        .allow_credentials(true)
        .build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    println!("  * with credentials cannot be configured: {err}");
    Ok(())
}

fn csrf_and_cookies() -> Result<(), Box<dyn std::error::Error>> {
    println!("== CSRF and cookies");
    // At login: a new secret (Django's rotate_token), set as the csrftoken cookie.
    let secret = CsrfSecret::generate()?;
    let cookie = SetCookie::new("csrftoken", secret.expose_secret())
        .http_only(false) // scripts read it to send X-CSRFToken, as with Django
        .max_age(31_449_600)
        .build()?;
    println!(
        "  Set-Cookie: {}",
        cookie.replacen(secret.expose_secret(), "<secret>", 1)
    );
    let session = SetCookie::new("__Host-session", "opaque-session-id")
        .same_site(SameSite::Strict)
        .build()?;
    println!("  Set-Cookie: {session}");
    let refused = SetCookie::new("__Host-session", "x")
        .domain("example.com")
        .build()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    println!("  {refused}");

    // A later POST: the page carries a fresh masked token, the browser the cookie.
    let token = secret.mask()?;
    let header = format!("csrftoken={}; theme=dark", secret.expose_secret());
    let jar = parse_cookie_header(&header)?;
    let policy = CsrfPolicy::new(&["https://*.example.com"], None)?;
    let mut request = CsrfRequest {
        method: "POST",
        secure: true,
        host: Some("www.example.com"),
        port: 443,
        origin: Some("https://admin.example.com"),
        cookie: jar.get("csrftoken"),
        header_token: Some(&token),
        referer: None,
        form_token: None,
    };
    println!(
        "  POST from a trusted origin with a token: {:?}",
        policy.check(&request)
    );
    request.origin = Some("https://evil.example");
    println!(
        "  POST from elsewhere: {:?}",
        policy.check(&request).err().map(|r| r.reason)
    );
    Ok(())
}

fn api_keys() -> Result<(), Box<dyn std::error::Error>> {
    println!("== API keys");
    let pepper = ApiKeyPepper::new(SecretBytes::generate(32)?)?;
    let key = ApiKey::generate("acme_live")?;
    let digest = key.digest(&pepper);
    println!(
        "  issued {}... (lookup id {}), stored digest {digest}",
        key.prefix(),
        key.lookup_id()
    );
    let presented = ApiKey::parse(key.expose_secret())?;
    let now = SystemClock.now();
    println!(
        "  verify: {:?}",
        presented.verify(&pepper, &digest, None, now)
    );
    let mut typo = key.expose_secret().to_owned();
    let last = typo.pop().unwrap_or('a');
    typo.push(if last == 'a' { 'b' } else { 'a' });
    println!(
        "  a typo is caught before any lookup: {:?}",
        ApiKey::parse(&typo).err()
    );
    Ok(())
}

fn audit() -> Result<(), Box<dyn std::error::Error>> {
    println!("== audit trail");
    let key_bytes = SecretBytes::generate(32)?;
    let mut chain = AuditChain::new(AuditKey::new(key_bytes.duplicate())?);
    let mut sink = MemorySink::new(100);
    let now = SystemClock.now();
    for (action, id) in [
        ("post:create", "7"),
        ("post:publish", "7"),
        ("user:delete", "3"),
    ] {
        let event = AuditEvent::new(
            "user:42",
            action,
            action.split(':').next().unwrap_or("x"),
            id,
            now,
        )?
        .with_ip("203.0.113.7".parse()?)
        .with_user_agent("example/1.0")
        .with_metadata(serde_json::json!({"reason": "demo"}))?;
        chain.record(event, &mut sink)?;
    }
    print!("{}", sink.to_json_lines());
    let key = AuditKey::new(key_bytes)?;
    println!(
        "  intact: {:?}",
        verify_chain(&key, sink.records()).map(|s| s.count)
    );
    let mut records = sink.records().to_vec();
    records.remove(1);
    println!(
        "  one removed: {}",
        verify_chain(&key, &records)
            .err()
            .map(|b| b.to_string())
            .unwrap_or_default()
    );
    Ok(())
}
