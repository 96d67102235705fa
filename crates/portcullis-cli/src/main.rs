//! `portcullis`: the crate's command-line face for people who are not writing Rust.
//!
//! ```text
//! portcullis <domain> <op> [flags]    (cargo install --path crates/portcullis-cli)
//! ```
//!
//! The contract is fixed (scripts depend on it): keys come from `--key-env VAR`,
//! never from argv; `--now UNIX_SECONDS` pins time; each stdin line is one input and
//! each stdout line one JSON object with `"ok"` (and `"code"` and `"message"` when
//! false); exit 0 when every input was ok, 1 when any was not, 2 for a usage or
//! configuration error (message on stderr, nothing on stdout).

mod check;
mod cli;
mod crypto;
mod dpop;
mod jose;
mod keygen;
mod password;
mod ratelimit;
mod token;
mod web;

use std::process::ExitCode;

use cli::{Flags, Outcome, UsageError};

const USAGE: &str = "\
usage: portcullis <domain> <op> [flags]

  keygen hs256|es256|ed25519      print one new key as a JSON line
  csrf mask                       stdin {secret}: a fresh Django-compatible masked token
  csrf check                      stdin {secret, token}: does the token match (32 or 64 chars)
  apikey generate --prefix P --pepper-env V
                                  print one new API key, its lookup id and digest
  apikey verify --pepper-env V [--now S]
                                  stdin {key, digest[, expires_at]}: check a key
  audit verify --key-env V        stdin audit records (JSON lines): name the first bad one
  keygen hs256|es256|ed25519|fernet|sealed
                                  print one new key as a JSON line
  fernet encrypt|decrypt|rotate --key-env V [--ttl S] [--now S]
                                  stdin: base64 plaintext (encrypt) or a token
  sealed encrypt|decrypt --key-env V [--context table:column:row_id]
                                  stdin: base64 plaintext (encrypt) or a sealed value
  jwe encrypt --key-env V --alg A --enc E
                                  stdin: base64 plaintext; prints the compact JWE
  jwe decrypt --key-env V [--alg A]
                                  stdin: a compact JWE; prints plaintext_b64 and header
    jwe keys: one JWK as JSON (oct for dir and A128KW/A256KW; EC P-256 or OKP
    X25519 for ECDH-ES, ECDH-ES+A128KW, ECDH-ES+A256KW); enc: A128GCM, A256GCM,
    A128CBC-HS256, A256CBC-HS512
  ratelimit parse                 stdin: a rate such as 5/m; prints limit, period_s
  ratelimit simulate --rate R --algorithm gcra|token-bucket|fixed-window|sliding-log|sliding-window [--cost N]
                                  stdin: one Unix time per line; prints each decision
                                  (ok false, code rate_limited = refused)
  ratelimit inspect|clear --redis-url URL [--prefix P] [--client C] [--scope S]
                                  the live rate-limit and lockout keys in Redis (state,
                                  TTL), one line each; clear deletes them (needs --client)
  password validate [--profile django|production|nist] [--context-words a,b]
                                  stdin JSON with password and user: Django's violations
  password hash [--format argon2|django-argon2|django-pbkdf2_sha256|django-pbkdf2_sha1|
                         django-scrypt|django-bcrypt_sha256]
                [--iterations N] [--memory-kib M --time-cost T --parallelism P]
                [--scrypt-log-n L --scrypt-r R --scrypt-p P] [--bcrypt-cost C]
                                  stdin JSON with password: prints hash
  password verify [same flags: the preferred hasher, for must_update]
                                  stdin JSON with password and hash: prints must_update
  token issue --alg A --key-env V --kind access|refresh|sliding
                                  stdin {\"user_id\": \"42\", ...extra claims}; prints the token
  token verify --alg A --key-env V [--kind access|refresh|sliding|any]
                                  stdin a token; prints its kind and claims
  token refresh --alg A --key-env V [--rotate]
                                  stdin a refresh token; prints access (and refresh)
  token inspect                   stdin a token; decodes WITHOUT verifying
    token flags: [--leeway S] [--audience X] [--issuer X] [--user-id-claim C]
                 [--token-type-claim C] [--jti-claim C] [--kid K] [--now UNIX_SECONDS]
  check deploy                    stdin one JSON object of settings (Django's names) per
                                  line; prints the deployment check's findings
                                  (ok false, code deploy_findings, when there are any)
  dpop verify --htm M --htu URL [--access-token-env V] [--nonce N] [--max-age S] [--now S]
                                  stdin a DPoP proof per line; prints its jkt (codes
                                  invalid_dpop_proof, dpop_replay, use_dpop_nonce)

Keys are read from the environment (--key-env VAR), never from the command line.
Exit status: 0 every input ok, 1 some input not ok, 2 usage or configuration error.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    match dispatch(&args) {
        Ok(outcome) => outcome.exit_code(),
        Err(err) => {
            eprintln!("portcullis: {err}");
            eprintln!("run `portcullis --help` for usage");
            ExitCode::from(2)
        }
    }
}

fn dispatch(args: &[String]) -> Result<Outcome, UsageError> {
    let (domain, rest) = args
        .split_first()
        .ok_or_else(|| UsageError::new("missing <domain>"))?;
    let (op, flags) = rest
        .split_first()
        .ok_or_else(|| UsageError::new(format!("missing <op> after `{domain}`")))?;
    match domain.as_str() {
        "keygen" => keygen::run(op, Flags::parse(flags, &[], &[])?),
        "csrf" | "apikey" | "audit" => web::run(domain, op, flags),
        "fernet" => crypto::run_fernet(op, flags),
        "sealed" => crypto::run_sealed(op, flags),
        "ratelimit" => ratelimit::run(op, flags),
        "password" => password::run(op, flags),
        "token" => token::run(op, flags),
        "check" => check::run(op, flags),
        "dpop" => dpop::run(op, flags),
        "jwe" => jose::run(op, flags),
        other => Err(UsageError::new(format!("unknown domain `{other}`"))),
    }
}
