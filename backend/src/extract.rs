//! A JSON body that may be left out. Rule: no body at all (zero bytes, or `null`) is `None`;
//! any other body must be a JSON object of `T` with `Content-Type: application/json`, refused
//! like every other body otherwise (`error::json_error`: 400 `malformed_body`, 415). `Option<web::Json<T>>`
//! would read a malformed body, or one with unknown fields, as no body at all.

use actix_web::{
    dev::Payload, error::JsonPayloadError, web, FromRequest, HttpMessage, HttpRequest,
};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::{
    error::{json_error, ApiError},
    state::MAX_BODY_BYTES,
};

pub struct OptionalJson<T>(pub Option<T>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Option<T> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = req.content_type() == "application/json";
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            if bytes.is_empty() {
                return Ok(Self(None));
            }
            if bytes.len() > MAX_BODY_BYTES {
                return Err(json_error(
                    JsonPayloadError::Overflow {
                        limit: MAX_BODY_BYTES,
                    },
                    MAX_BODY_BYTES,
                )
                .into());
            }
            if !json {
                return Err(json_error(JsonPayloadError::ContentType, MAX_BODY_BYTES).into());
            }
            let malformed = |e| json_error(JsonPayloadError::Deserialize(e), MAX_BODY_BYTES);
            // `null` is no body too; anything else must be an object (serde would also read a
            // struct from an array of its fields' values).
            match serde_json::from_slice::<serde_json::Value>(&bytes).map_err(malformed)? {
                serde_json::Value::Null => Ok(Self(None)),
                object @ serde_json::Value::Object(_) => serde_json::from_value(object)
                    .map(|v| Self(Some(v)))
                    .map_err(|e| malformed(e).into()),
                _ => Err(ApiError::MalformedBody("the body must be a JSON object".into()).into()),
            }
        })
    }
}
