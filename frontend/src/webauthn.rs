//! The browser's WebAuthn API (`navigator.credentials`) for passkeys.
//!
//! The server sends options and wants credentials as JSON with binary fields as unpadded
//! base64url (the WebAuthn Level 3 `toJSON()` shapes); the browser API takes and gives
//! `ArrayBuffer`s. Not every browser has `PublicKeyCredential.parseCreationOptionsFromJSON` /
//! `toJSON()` yet, so the conversion is done here, in a few lines of JavaScript kept next to
//! the calls (the field lists are those of the WebAuthn spec; everything else passes through).

use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export function b64u_decode(s) {
  s = s.replace(/-/g, '+').replace(/_/g, '/');
  while (s.length % 4) s += '=';
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
export function b64u_encode(bytes) {
  const u = new Uint8Array(bytes instanceof ArrayBuffer ? bytes : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let bin = '';
  for (let i = 0; i < u.length; i++) bin += String.fromCharCode(u[i]);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function buf(s) { return b64u_decode(s).buffer; }
// A null is "absent" to the server's serialiser but a type error to the browser.
function prune(o) {
  if (o && typeof o === 'object' && !Array.isArray(o)) {
    for (const k of Object.keys(o)) { if (o[k] === null) delete o[k]; else prune(o[k]); }
  } else if (Array.isArray(o)) { o.forEach(prune); }
  return o;
}
export function public_key_options(json) {
  const o = prune(JSON.parse(json));
  const pk = o.publicKey;
  pk.challenge = buf(pk.challenge);
  if (pk.user && typeof pk.user.id === 'string') pk.user.id = buf(pk.user.id);
  for (const c of pk.excludeCredentials || []) c.id = buf(c.id);
  for (const c of pk.allowCredentials || []) c.id = buf(c.id);
  return { publicKey: pk };
}
export function credential_json(cred) {
  const r = cred.response;
  const response = { clientDataJSON: b64u_encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64u_encode(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  } else {
    response.authenticatorData = b64u_encode(r.authenticatorData);
    response.signature = b64u_encode(r.signature);
    response.userHandle = r.userHandle ? b64u_encode(r.userHandle) : null;
  }
  const out = {
    id: cred.id,
    rawId: b64u_encode(cred.rawId),
    type: cred.type,
    response,
    // credProps ({rk: true}) tells the server the passkey is discoverable.
    clientExtensionResults:
      typeof cred.getClientExtensionResults === 'function' ? cred.getClientExtensionResults() : {},
  };
  if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
  return JSON.stringify(out);
}
export async function create_credential(json) {
  return credential_json(await navigator.credentials.create(public_key_options(json)));
}
export async function get_credential(json) {
  return credential_json(await navigator.credentials.get(public_key_options(json)));
}
// The pending conditional (autofill) request, so that it can be aborted.
let conditional = null;
export async function conditional_available() {
  try {
    return !!(window.PublicKeyCredential &&
      typeof PublicKeyCredential.isConditionalMediationAvailable === 'function' &&
      await PublicKeyCredential.isConditionalMediationAvailable());
  } catch (e) {
    return false;
  }
}
export async function get_conditional(json) {
  if (conditional) conditional.controller.abort();
  const controller = new AbortController();
  const options = public_key_options(json);
  options.mediation = 'conditional';
  options.signal = controller.signal;
  const pending = navigator.credentials.get(options);
  const mine = { controller, done: pending.then(() => {}, () => {}) };
  conditional = mine;
  try {
    return credential_json(await pending);
  } finally {
    if (conditional === mine) conditional = null;
  }
}
export function abort_conditional_now() {
  if (conditional) conditional.controller.abort();
  conditional = null;
}
export async function abort_conditional_js() {
  const c = conditional;
  conditional = null;
  if (c) {
    c.controller.abort();
    await c.done;
  }
  return null;
}
"#)]
extern "C" {
    /// Unpadded (or padded) base64url → bytes.
    pub fn b64u_decode(s: &str) -> js_sys::Uint8Array;
    /// Bytes (`Uint8Array` or `ArrayBuffer`) → unpadded base64url.
    pub fn b64u_encode(bytes: &JsValue) -> String;
    /// The server's `{"publicKey": …}` JSON with its binary fields as `ArrayBuffer`s.
    pub fn public_key_options(json: &str) -> JsValue;
    /// A `PublicKeyCredential` as the JSON string of its `toJSON()` shape.
    pub fn credential_json(credential: &JsValue) -> String;
    #[wasm_bindgen(catch)]
    async fn create_credential(json: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch)]
    async fn get_credential(json: &str) -> Result<JsValue, JsValue>;
    async fn conditional_available() -> JsValue;
    #[wasm_bindgen(catch, js_name = get_conditional)]
    async fn get_conditional_js(json: &str) -> Result<JsValue, JsValue>;
    async fn abort_conditional_js() -> JsValue;
    #[wasm_bindgen(js_name = abort_conditional_now)]
    fn abort_conditional_now_js();
}

thread_local! {
    /// Bumped by every abort: a conditional request whose options arrive after one is dropped.
    static EPOCH: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Whether the browser offers passkeys in the username field's autofill
/// (`PublicKeyCredential.isConditionalMediationAvailable()`).
pub async fn conditional_mediation_available() -> bool {
    conditional_available().await.as_bool().unwrap_or(false)
}

/// The current epoch of conditional requests; pass it to `get_conditional`.
pub fn conditional_epoch() -> u64 {
    EPOCH.with(std::cell::Cell::get)
}

/// `navigator.credentials.get({mediation: "conditional"})`: waits until the person picks a
/// passkey from the autofill of a field with `autocomplete="… webauthn"`. Refused when it was
/// aborted (`abort_conditional`, also before it started: `epoch` is no longer current).
pub async fn get_conditional(options: &Value, epoch: u64) -> Result<Value, Refused> {
    if conditional_epoch() != epoch {
        return Err(Refused);
    }
    let answer = get_conditional_js(&options.to_string())
        .await
        .map_err(|_| Refused)?;
    parse(answer)
}

/// Aborts the pending conditional request, if any, at once (leaving the page).
pub fn abort_conditional_now() {
    EPOCH.with(|e| e.set(e.get() + 1));
    abort_conditional_now_js();
}

/// Aborts the pending conditional request, if any, and waits until the browser let it go (a
/// modal request may start right after).
pub async fn abort_conditional() {
    EPOCH.with(|e| e.set(e.get() + 1));
    abort_conditional_js().await;
}

/// Why the browser gave no credential: the person cancelled or timed out
/// (`NotAllowedError`), the authenticator already holds one of the excluded credentials, or
/// the browser has no WebAuthn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused;

/// `navigator.credentials.create()` with the `options` of `POST /api/passkeys/register/start`:
/// the new credential's `toJSON()` for `register/finish`.
pub async fn create(options: &Value) -> Result<Value, Refused> {
    let answer = create_credential(&options.to_string())
        .await
        .map_err(|_| Refused)?;
    parse(answer)
}

/// `navigator.credentials.get()` with the `options` of a login `start`: the assertion's
/// `toJSON()` for the matching `finish`.
pub async fn get(options: &Value) -> Result<Value, Refused> {
    let answer = get_credential(&options.to_string())
        .await
        .map_err(|_| Refused)?;
    parse(answer)
}

fn parse(answer: JsValue) -> Result<Value, Refused> {
    answer
        .as_string()
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or(Refused)
}

/// The browser gave no passkey answer (cancelled, timed out, none for this site): said like a
/// refused one, "try again".
pub fn refused() -> crate::api::ApiError {
    crate::api::ApiError::Problem(shared::Problem {
        type_: "about:blank".into(),
        title: String::new(),
        status: 0,
        detail: String::new(),
        code: shared::ErrorCode::PasskeyRejected,
        errors: None,
        attempts_left: None,
        retry_after: None,
    })
}
