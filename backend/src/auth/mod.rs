//! Password hashing (argon2id on a bounded blocking pool), verification-code MACs, JWTs,
//! the bearer-token extractor and the login device cookie.

mod bearer;
mod code_mac;
pub mod device;
mod jwt;
mod password;
mod refresh;

pub use bearer::AuthUser;
pub use code_mac::CodeMac;
pub use device::DeviceKeys;
pub use jwt::{ed25519_public_from_pem, Claims, Ed25519Key, JwtKeys, PublicJwk};
pub use password::{HashError, PasswordHasher};
pub use refresh::{new_session_id, token_hash, RefreshClaim, RefreshKeys};
