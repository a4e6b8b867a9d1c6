//! Password hashing (argon2id on a bounded blocking pool), verification-code MACs, JWTs and
//! the bearer-token extractor.

mod bearer;
mod code_mac;
mod jwt;
mod password;

pub use bearer::AuthUser;
pub use code_mac::CodeMac;
pub use jwt::{Claims, JwtKeys};
pub use password::{HashError, PasswordHasher};
