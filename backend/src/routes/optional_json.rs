//! A JSON body that may be left out. Rule: no body at all (zero bytes) is `None`; any body
//! must be the JSON of `T` with `Content-Type: application/json`, refused like every other
//! body otherwise (`error::json_error`: 400 `malformed_body`, 415). `Option<web::Json<T>>`
//! would read a malformed body, or one with unknown fields, as no body at all.

use actix_web::{
    dev::Payload, error::JsonPayloadError, web, FromRequest, HttpMessage, HttpRequest,
};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::{error::json_error, state::MAX_BODY_BYTES};

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
            serde_json::from_slice(&bytes)
                .map(|v| Self(Some(v)))
                .map_err(|e| json_error(JsonPayloadError::Deserialize(e), MAX_BODY_BYTES).into())
        })
    }
}
