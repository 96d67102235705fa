//! What a login and a refresh answer, in the shapes of the replaced services, and
//! the last-login update a login asks the host for.
//!
//! SimpleJWT's `TokenObtainPairView` answers `{"refresh": ..., "access": ...}` and
//! its `TokenRefreshView` `{"access": ...}` (plus `"refresh"` when rotating). The
//! services this crate replaces add `"token_type": "Bearer"`, `"expires_in"` (the
//! access token's lifetime in seconds) and, on login, a `"user"` object with
//! configured fields. [`LoginResponse`] and [`RefreshResponse`] are those bodies
//! as serde types (both shapes: [`LoginResponse::simplejwt`] and
//! [`LoginResponse::bearer`]); they also deserialize, for clients and tests.
//!
//! With SimpleJWT's `UPDATE_LAST_LOGIN` ([`TokenConfig::update_last_login`]), a
//! login updates the user's `last_login`: [`Tokens::login`] returns that update
//! as a [`LastLogin`] value for the host, which owns the user table, to write.
//!
//! ```
//! use portcullis::clock::UnixTime;
//! use portcullis::secret::SecretBytes;
//! use portcullis::token::{Algorithm, Keyring, LoginResponse, SigningKey, TokenConfig, Tokens, UserFields};
//!
//! # fn main() -> Result<(), portcullis::Error> {
//! let secret = SecretBytes::from_slice(b"a signing key of at least 32 bytes!!");
//! let mut config = TokenConfig::hardened();
//! config.update_last_login = true;
//! let tokens = Tokens::new(config, Keyring::new(SigningKey::hmac(Algorithm::HS256, &secret)?))?;
//! let now = UnixTime::from_secs(1_800_000_000).unwrap_or_default();
//!
//! let login = tokens.login("42", &(), now)?;
//! assert_eq!(login.last_login.as_ref().map(|l| l.at), Some(now)); // the host writes it
//! let user = serde_json::json!({"id": 42, "email": "ada@example.com", "password": "pbkdf2_sha256$..."});
//! let body = LoginResponse::bearer(&login.pair, tokens.config())
//!     .with_user(&user, &UserFields::new(["id", "email"])?)?;
//! let json = serde_json::to_value(&body).unwrap_or_default();
//! assert_eq!(json["token_type"], "Bearer");
//! assert_eq!(json["expires_in"], 900);
//! assert_eq!(json["user"], serde_json::json!({"id": 42, "email": "ada@example.com"}));
//! # Ok(())
//! # }
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::config::TokenConfig;
use super::engine::Tokens;
use super::error::TokenError;
use super::refresh::{Refreshed, TokenPair};
use crate::clock::UnixTime;

/// The `token_type` of the extended bodies: always `"Bearer"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenType {
    /// `"Bearer"` (RFC 6750).
    Bearer,
}

/// The fields of the user a login body shows, in order. `password` (and any
/// field whose name contains it) is refused, so a user object passed whole can
/// never leak its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserFields(Vec<String>);

impl UserFields {
    /// The fields to show.
    ///
    /// # Errors
    /// [`TokenError::Config`] for an empty name or one naming a password.
    pub fn new<I, S>(fields: I) -> Result<Self, TokenError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let fields: Vec<String> = fields.into_iter().map(Into::into).collect();
        if let Some(bad) = fields
            .iter()
            .find(|f| f.is_empty() || f.to_ascii_lowercase().contains("password"))
        {
            return Err(TokenError::config(
                "user fields",
                format!("`{bad}` cannot be shown: names must be non-empty and not a password"),
            ));
        }
        Ok(Self(fields))
    }

    /// Picks the fields from `user` (any value serializing to a JSON object).
    fn pick(&self, user: &impl Serialize) -> Result<Map<String, Value>, TokenError> {
        let Ok(Value::Object(mut all)) = serde_json::to_value(user) else {
            return Err(TokenError::config(
                "user",
                "must serialize to a JSON object",
            ));
        };
        self.0
            .iter()
            .map(|name| match all.remove(name) {
                Some(value) => Ok((name.clone(), value)),
                None => Err(TokenError::config(
                    "user fields",
                    format!("`{name}` is not a field of the user"),
                )),
            })
            .collect()
    }
}

/// A login body: SimpleJWT's pair, optionally with `token_type`, `expires_in`
/// and `user`. `Debug` hides the tokens.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoginResponse {
    /// The refresh token.
    pub refresh: String,
    /// The access token.
    pub access: String,
    /// `"Bearer"` in the extended shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<TokenType>,
    /// The access token's lifetime in seconds, in the extended shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// The user's configured fields, when added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Map<String, Value>>,
}

impl LoginResponse {
    /// Exactly SimpleJWT's `{"refresh": ..., "access": ...}`.
    pub fn simplejwt(pair: &TokenPair) -> Self {
        Self {
            refresh: pair.refresh.clone(),
            access: pair.access.clone(),
            token_type: None,
            expires_in: None,
            user: None,
        }
    }

    /// The replaced services' shape: the pair, `"token_type": "Bearer"` and
    /// `expires_in` (the configured access lifetime).
    pub fn bearer(pair: &TokenPair, config: &TokenConfig) -> Self {
        Self {
            token_type: Some(TokenType::Bearer),
            expires_in: Some(config.access_token_lifetime.as_secs()),
            ..Self::simplejwt(pair)
        }
    }

    /// Adds `user` with only the configured `fields`.
    ///
    /// # Errors
    /// [`TokenError::Config`] when `user` is not an object or lacks a field.
    pub fn with_user(
        mut self,
        user: &impl Serialize,
        fields: &UserFields,
    ) -> Result<Self, TokenError> {
        self.user = Some(fields.pick(user)?);
        Ok(self)
    }
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("refresh", &"[REDACTED]")
            .field("access", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("user", &self.user)
            .finish()
    }
}

/// A refresh body: SimpleJWT's `{"access": ...}` (with `"refresh"` when
/// rotating), optionally with `token_type` and `expires_in`. `Debug` hides the
/// tokens.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefreshResponse {
    /// The new access token.
    pub access: String,
    /// The new refresh token, when rotation is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// `"Bearer"` in the extended shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<TokenType>,
    /// The access token's lifetime in seconds, in the extended shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

impl RefreshResponse {
    /// Exactly SimpleJWT's body.
    pub fn simplejwt(refreshed: &Refreshed) -> Self {
        Self {
            access: refreshed.access.clone(),
            refresh: refreshed.refresh.clone(),
            token_type: None,
            expires_in: None,
        }
    }

    /// The replaced services' shape: SimpleJWT's body with `"token_type":
    /// "Bearer"` and `expires_in`.
    pub fn bearer(refreshed: &Refreshed, config: &TokenConfig) -> Self {
        Self {
            token_type: Some(TokenType::Bearer),
            expires_in: Some(config.access_token_lifetime.as_secs()),
            ..Self::simplejwt(refreshed)
        }
    }
}

impl fmt::Debug for RefreshResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshResponse")
            .field("access", &"[REDACTED]")
            .field("refresh", &self.refresh.as_ref().map(|_| "[REDACTED]"))
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// SimpleJWT's `UPDATE_LAST_LOGIN`: set this user's `last_login` to `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LastLogin {
    /// The user who logged in.
    pub user_id: String,
    /// The login's time.
    pub at: UnixTime,
}

/// What a login produced: the pair, and the last-login update when configured.
#[derive(Debug)]
#[non_exhaustive]
pub struct Login {
    /// The token pair.
    pub pair: TokenPair,
    /// With [`TokenConfig::update_last_login`], the update the host writes.
    pub last_login: Option<LastLogin>,
}

impl Tokens {
    /// A login: [`Tokens::issue_pair`], and with `update_last_login` the
    /// [`LastLogin`] update for the host.
    ///
    /// # Errors
    /// As [`Tokens::issue_pair`].
    pub fn login<T: Serialize + ?Sized>(
        &self,
        user_id: &str,
        extra: &T,
        now: UnixTime,
    ) -> Result<Login, TokenError> {
        let pair = self.issue_pair(user_id, extra, now)?;
        let last_login = self.config().update_last_login.then(|| LastLogin {
            user_id: user_id.to_owned(),
            at: now,
        });
        Ok(Login { pair, last_login })
    }
}
