//! The optional remote issuer (`remote_issuer`): tokens another service signs,
//! verified with the keys of its JWKS, fetched here with hyper-util's client.

use std::time::Duration;

use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::{Request, Uri};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use portcullis::jose::jwks::{JwksPolicy, MAX_JWKS_BYTES};
use portcullis::token::{Algorithm, TokenConfig};
use portcullis_tower::{FetchedJwks, JwksFetch, RemoteIssuer};
use serde::Deserialize;

use crate::BoxError;

/// How long one fetch may take; requests needing the keys wait for it.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// `remote_issuer` in the JSON file, or `PORTCULLIS_JWKS_URL` and
/// `PORTCULLIS_REMOTE_ISSUER` (and `PORTCULLIS_REMOTE_AUDIENCE`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RemoteIssuerConfig {
    /// The issuer's JWKS document (`http://`; see [`HttpJwks`]).
    pub(crate) jwks_url: String,
    /// The `iss` its tokens carry.
    pub(crate) issuer: String,
    /// The `aud` its tokens must carry (none: tokens with an `aud` are refused).
    #[serde(default)]
    pub(crate) audience: Option<String>,
}

impl RemoteIssuerConfig {
    /// `configured` (from the file) with the environment's `PORTCULLIS_JWKS_URL`,
    /// `PORTCULLIS_REMOTE_ISSUER` and `PORTCULLIS_REMOTE_AUDIENCE` over it.
    ///
    /// # Errors
    /// Without a `remote_issuer` in the file, only one of the URL and the issuer
    /// set, or the audience set alone.
    pub(crate) fn with_env(
        configured: Option<Self>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, BoxError> {
        let (url, issuer) = (env("PORTCULLIS_JWKS_URL"), env("PORTCULLIS_REMOTE_ISSUER"));
        let mut remote = match (configured, url, issuer) {
            (Some(mut remote), url, issuer) => {
                remote.jwks_url = url.unwrap_or(remote.jwks_url);
                remote.issuer = issuer.unwrap_or(remote.issuer);
                Some(remote)
            }
            (None, Some(jwks_url), Some(issuer)) => Some(Self {
                jwks_url,
                issuer,
                audience: None,
            }),
            (None, None, None) => None,
            (None, _, _) => {
                return Err(
                    "PORTCULLIS_JWKS_URL and PORTCULLIS_REMOTE_ISSUER: set both \
                     (a remote issuer) or neither"
                        .into(),
                );
            }
        };
        if let Some(audience) = env("PORTCULLIS_REMOTE_AUDIENCE") {
            remote
                .as_mut()
                .ok_or("PORTCULLIS_REMOTE_AUDIENCE: set with a remote issuer only")?
                .audience = Some(audience);
        }
        Ok(remote)
    }

    /// The remote issuer for the authentication layer: the service's token rules
    /// (`TokenConfig::hardened`) with the issuer's `iss` and audience, and the
    /// asymmetric algorithms only.
    pub(crate) fn build(&self) -> Result<RemoteIssuer, BoxError> {
        let mut config = TokenConfig::hardened();
        config.issuer = Some(self.issuer.clone());
        config.audience.clone_from(&self.audience);
        config.algorithms = vec![
            Algorithm::EdDSA,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::RS256,
            Algorithm::PS256,
        ];
        let fetch = HttpJwks::new(&self.jwks_url)?;
        Ok(RemoteIssuer::new(config, JwksPolicy::default(), fetch)
            .map_err(|e| format!("remote_issuer: {e}"))?)
    }
}

/// A GET of the JWKS URL over plain HTTP/1.1 (the example has no TLS stack: put
/// an HTTPS-capable client behind [`JwksFetch`] for an issuer on another host).
pub(crate) struct HttpJwks {
    client: Client<HttpConnector, Empty<Bytes>>,
    url: Uri,
}

impl HttpJwks {
    fn new(url: &str) -> Result<Self, BoxError> {
        let url: Uri = url
            .parse()
            .map_err(|_| "remote_issuer.jwks_url: not a URL")?;
        if url.scheme_str() != Some("http") || url.host().is_none() {
            return Err("remote_issuer.jwks_url: expected http://host[:port]/path \
                 (this example's client speaks plain HTTP only)"
                .into());
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self { client, url })
    }

    async fn get(&self) -> Result<FetchedJwks, String> {
        let request = Request::get(self.url.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Empty::new())
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let cache_control = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        let body = String::from_utf8(body.to_vec()).map_err(|_| "body: not UTF-8")?;
        Ok(FetchedJwks {
            body,
            cache_control,
        })
    }
}

impl JwksFetch for HttpJwks {
    type Error = String;

    async fn fetch(&self) -> Result<FetchedJwks, String> {
        tokio::time::timeout(FETCH_TIMEOUT, self.get())
            .await
            .unwrap_or_else(|_| Err("timed out after 5 s".to_owned()))
    }
}
