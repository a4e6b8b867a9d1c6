//! What a verification code is for.

/// What a code proves. Each purpose has its own collection, so a signup code can never reset
/// a password nor the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Signup,
    PasswordReset,
    /// Moving a signed-in account to a new address. Its codes are filed under the account's id,
    /// not the address, so only that account can redeem them; the address they went to is in
    /// the document (and in the code's HMAC).
    EmailChange,
    /// Signing in without the password (`POST /api/login/code/*`): one factor, the mailbox.
    SignIn,
}
