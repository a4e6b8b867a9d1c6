//! The WebAuthn conversions of `frontend::webauthn` in headless Chromium: base64url both ways,
//! the server's options with `ArrayBuffer`s where the browser wants them, and a credential
//! serialised to the `toJSON()` shape the server parses. No authenticator: the e2e suite
//! (e2e/tests/second-factor.test.js) drives the real ceremonies.

use frontend::webauthn::{b64u_decode, b64u_encode, credential_json, public_key_options};
use js_sys::{ArrayBuffer, Reflect, Uint8Array};
use serde_json::json;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(value: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(value.clone(), |v, key| {
        Reflect::get(&v, &JsValue::from_str(key)).unwrap()
    })
}

fn bytes(value: &JsValue) -> Vec<u8> {
    assert!(
        value.is_instance_of::<ArrayBuffer>(),
        "{value:?} is no ArrayBuffer"
    );
    Uint8Array::new(value).to_vec()
}

#[wasm_bindgen_test]
fn base64url_both_ways_without_padding() {
    assert_eq!(b64u_decode("-_8").to_vec(), vec![0xfb, 0xff]);
    assert_eq!(b64u_decode("AQID").to_vec(), vec![1, 2, 3]);
    assert_eq!(b64u_decode("AQ").to_vec(), vec![1]);
    assert_eq!(b64u_decode("").to_vec(), Vec::<u8>::new());
    let data: Vec<u8> = (0..=255).collect();
    let array = Uint8Array::from(data.as_slice());
    let text = b64u_encode(&array);
    assert!(!text.contains(['+', '/', '=']), "{text}");
    assert_eq!(b64u_decode(&text).to_vec(), data);
    // An ArrayBuffer (what the browser hands out) encodes the same as its bytes.
    assert_eq!(b64u_encode(&array.buffer()), text);
}

#[wasm_bindgen_test]
fn creation_and_request_options_get_their_binary_fields_as_array_buffers() {
    let creation = json!({"publicKey": {
        "rp": {"id": "localhost", "name": "emailauth"},
        "user": {"id": "AQID", "name": "gildong", "displayName": "길동"},
        "challenge": "-_8",
        "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
        "excludeCredentials": [{"type": "public-key", "id": "BAU"}],
        "authenticatorSelection": {"residentKey": "required", "authenticatorAttachment": null},
        "timeout": 60000
    }});
    let options = public_key_options(&creation.to_string());
    assert_eq!(
        bytes(&get(&options, &["publicKey", "challenge"])),
        vec![0xfb, 0xff]
    );
    assert_eq!(
        bytes(&get(&options, &["publicKey", "user", "id"])),
        vec![1, 2, 3]
    );
    let excluded = get(&options, &["publicKey", "excludeCredentials"]);
    let first = Reflect::get_u32(&excluded, 0).unwrap();
    assert_eq!(bytes(&get(&first, &["id"])), vec![4, 5]);
    // A null is left out (the browser would refuse it as an enum value).
    let selection = get(&options, &["publicKey", "authenticatorSelection"]);
    assert!(!Reflect::has(&selection, &"authenticatorAttachment".into()).unwrap());
    assert_eq!(
        get(&options, &["publicKey", "user", "displayName"])
            .as_string()
            .as_deref(),
        Some("길동")
    );

    let request = json!({"publicKey": {
        "challenge": "AQID", "rpId": "localhost",
        "allowCredentials": [{"type": "public-key", "id": "-_8"}]
    }});
    let options = public_key_options(&request.to_string());
    assert_eq!(
        bytes(&get(&options, &["publicKey", "challenge"])),
        vec![1, 2, 3]
    );
    let allowed = get(&options, &["publicKey", "allowCredentials"]);
    let first = Reflect::get_u32(&allowed, 0).unwrap();
    assert_eq!(bytes(&get(&first, &["id"])), vec![0xfb, 0xff]);
}

fn fake(source: &str) -> JsValue {
    js_sys::Function::new_no_args(source)
        .call0(&JsValue::NULL)
        .unwrap()
}

#[wasm_bindgen_test]
fn credentials_serialise_to_the_to_json_shapes() {
    let attestation = fake(
        "const b = (...x) => new Uint8Array(x).buffer;
         return { id: '-_8', rawId: b(0xfb, 0xff), type: 'public-key',
                  getClientExtensionResults() { return {}; },
                  response: { clientDataJSON: b(1), attestationObject: b(2, 3),
                              getTransports() { return ['internal']; } } };",
    );
    let json: serde_json::Value = serde_json::from_str(&credential_json(&attestation)).unwrap();
    assert_eq!(
        json,
        json!({"id": "-_8", "rawId": "-_8", "type": "public-key",
               "response": {"clientDataJSON": "AQ", "attestationObject": "AgM",
                            "transports": ["internal"]},
               "clientExtensionResults": {}})
    );

    let assertion = fake(
        "const b = (...x) => new Uint8Array(x).buffer;
         return { id: 'AQ', rawId: b(1), type: 'public-key',
                  response: { clientDataJSON: b(1), authenticatorData: b(2),
                              signature: b(3), userHandle: b(4) } };",
    );
    let json: serde_json::Value = serde_json::from_str(&credential_json(&assertion)).unwrap();
    assert_eq!(
        json["response"],
        json!({"clientDataJSON": "AQ", "authenticatorData": "Ag", "signature": "Aw",
               "userHandle": "BA"})
    );
    assert_eq!(json["clientExtensionResults"], json!({}));
    assert_eq!(json["rawId"], "AQ");
}
