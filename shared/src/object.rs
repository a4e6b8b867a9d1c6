//! Request bodies are JSON objects. A derived `Deserialize` also takes a sequence of the
//! fields in order, and so `[]` for a type whose fields all have defaults, which no schema of
//! the API allows. Such a type deserializes through [`ObjectOnly`] (`#[serde(from =
//! "ObjectOnly<…Fields>")]`), which hands its fields only an object.

use serde::de::{value::MapAccessDeserializer, Deserialize, Deserializer, MapAccess, Visitor};
use std::marker::PhantomData;

/// `T`, read from a JSON object only.
pub struct ObjectOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(Object(PhantomData))
            .map(ObjectOnly)
    }
}

#[cfg(test)]
mod tests {
    use crate::{RefreshRequest, StepUpRequest};

    #[test]
    fn bodies_whose_fields_all_default_are_read_from_objects_only() {
        for array in ["[]", "[null]", r#"["pw"]"#, r#"["pw", "123456", null]"#] {
            let step_up = serde_json::from_str::<StepUpRequest>(array);
            assert!(step_up.is_err(), "{array}: {step_up:?}");
            let refresh = serde_json::from_str::<RefreshRequest>(array);
            assert!(refresh.is_err(), "{array}: {refresh:?}");
        }
        assert_eq!(
            serde_json::from_str::<StepUpRequest>("{}").unwrap(),
            StepUpRequest::default()
        );
        let proof: StepUpRequest =
            serde_json::from_str(r#"{"password": "pw", "code": "123456"}"#).unwrap();
        assert_eq!(
            (
                proof.password.as_deref(),
                proof.code.as_deref(),
                proof.recovery_code
            ),
            (Some("pw"), Some("123456"), None)
        );
        let refresh: RefreshRequest = serde_json::from_str(r#"{"refresh_token": "rt"}"#).unwrap();
        assert_eq!(refresh.refresh_token.as_deref(), Some("rt"));
        // Still closed to fields nobody declared.
        assert!(serde_json::from_str::<StepUpRequest>(r#"{"admin": true}"#).is_err());
        assert!(serde_json::from_str::<RefreshRequest>(r#"{"admin": true}"#).is_err());
    }
}
