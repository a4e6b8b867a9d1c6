//! Password hashing (argon2id on a bounded blocking pool), verification-code MACs, JWTs,
//! the bearer-token extractors, the device cookie and the WebAuthn relying party: the key
//! holders, which know nothing of routes or the store.

mod bearer;
mod code_mac;
pub mod device;
mod jwt;
pub mod keys;
mod password;
mod refresh;
pub mod webauthn;

pub use bearer::{AuthUser, SignedInUser};
pub use code_mac::CodeMac;
pub use device::DeviceKeys;
pub use jwt::{ed25519_public_from_pem, Claims, Ed25519Key, JwtKeys, PublicJwk};
pub use password::{HashError, PasswordHasher};
pub use refresh::{new_session_id, token_hash, RefreshClaim, RefreshKeys};
pub use webauthn::RelyingParty;
