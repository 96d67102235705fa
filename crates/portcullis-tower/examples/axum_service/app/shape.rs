//! The bodies of `POST /api/token/` and `POST /api/token/refresh/`: exactly
//! SimpleJWT's (`response_shape` `simplejwt`, the default), or the replaced
//! services' `bearer` shape, which adds `"token_type": "Bearer"`, `expires_in`
//! (the access lifetime in seconds) and, on login, `user` with the configured
//! `user_fields`. Both are the core's `token::login` types.

use portcullis::token::{
    LoginResponse, RefreshResponse, Refreshed, TokenConfig, TokenPair, UserFields,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Reply;
use crate::BoxError;

/// Which body the token routes answer.
#[derive(Debug, Clone)]
pub(crate) enum ResponseShape {
    /// SimpleJWT's `{refresh, access}` and `{access[, refresh]}`, nothing more.
    SimpleJwt,
    /// SimpleJWT's keys plus `token_type`, `expires_in` and the login's `user`.
    Bearer {
        /// The fields of `user`, checked by the core (never a password).
        fields: UserFields,
        /// The same names, to check every configured user has them at start.
        names: Vec<String>,
    },
}

impl ResponseShape {
    /// The shape named by `response_shape`, with `user_fields` for `bearer`.
    ///
    /// # Errors
    /// An unknown shape, or user fields the core refuses; the message names the setting.
    pub(crate) fn new(shape: &str, user_fields: &[String]) -> Result<Self, BoxError> {
        match shape {
            "simplejwt" => Ok(Self::SimpleJwt),
            "bearer" => {
                let fields = UserFields::new(user_fields.iter().cloned())
                    .map_err(|e| format!("user_fields: {e}"))?;
                Ok(Self::Bearer {
                    fields,
                    names: user_fields.to_vec(),
                })
            }
            other => Err(format!("response_shape {other:?}: expected simplejwt or bearer").into()),
        }
    }

    /// Checks that `user` (as [`user_object`] builds it) has every configured
    /// field, so a login never fails on a missing one.
    ///
    /// # Errors
    /// The first missing field, naming the user.
    pub(crate) fn check_user(&self, username: &str, user: &Value) -> Result<(), BoxError> {
        let Self::Bearer { names, .. } = self else {
            return Ok(());
        };
        match names.iter().find(|name| user.get(name.as_str()).is_none()) {
            Some(missing) => Err(format!(
                "user_fields: `{missing}` is not a field of user {username:?} (its `profile`)"
            )
            .into()),
            None => Ok(()),
        }
    }

    /// The login body for `pair`, with `user`'s configured fields in the bearer shape.
    pub(crate) fn login(&self, pair: &TokenPair, config: &TokenConfig, user: &Value) -> Reply {
        let body = match self {
            Self::SimpleJwt => Ok(LoginResponse::simplejwt(pair)),
            Self::Bearer { fields, .. } => {
                LoginResponse::bearer(pair, config).with_user(user, fields)
            }
        };
        match body {
            Ok(body) => ok(&body),
            Err(e) => Reply::token_error(&e),
        }
    }

    /// The refresh body for `refreshed`.
    pub(crate) fn refresh(&self, refreshed: &Refreshed, config: &TokenConfig) -> Reply {
        match self {
            Self::SimpleJwt => ok(&RefreshResponse::simplejwt(refreshed)),
            Self::Bearer { .. } => ok(&RefreshResponse::bearer(refreshed, config)),
        }
    }
}

/// The user object a login shows fields of: the configured `profile` and the
/// `username` (never the hash or the sealed note: they are not in it).
pub(crate) fn user_object(username: &str, profile: &Map<String, Value>) -> Value {
    let mut user = profile.clone();
    user.insert("username".into(), json!(username));
    Value::Object(user)
}

/// 200 with `body` as JSON.
fn ok(body: &impl Serialize) -> Reply {
    match serde_json::to_value(body) {
        Ok(body) => Reply::new(200, body),
        Err(_) => Reply::internal(),
    }
}
