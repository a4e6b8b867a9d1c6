# English. Same ids as ko.ftl (the reference); comments there.

language-name = English

## Static texts (the `T` keys, kebab-case)

app-name = Email-verified signup
language = Language
signup-title = Create an account
signup-lead = We'll email you a code to confirm your address.
login-title = Log in
login-lead = Enter your username and password.
home-title = My account
show-password = Show
hide-password = Hide
verify-email = Verify email
sending = Sending…
resend = Resend code
sign-up = Sign up
signing-up = Signing up…
log-in = Log in
logging-in = Logging in…
log-out = Log out
have-account = Already have an account?
no-account = New here?
code-expired-hint = This code has expired. Use “Resend code” to get a new one.
loading = Loading…
retry = Try again
not-found-title = Page not found
go-home = Go to the start page
profile-username = Username
profile-email = Email
profile-nickname = Nickname
forgot-password = Forgot password?
reset-title = Reset your password
reset-lead = We'll email you a code to set a new password.
send-reset-code = Send reset code
change-password = Change password
changing-password = Changing password…
remembered-password = Remembered it?
log-out-everywhere = Log out everywhere
logging-out-everywhere = Logging out…
devices = Devices
devices-lead = Where this account is signed in. If you don't recognise one, end it and change your password.
this-device = This device
end-session = End session
ending-session = Ending…
last-used = Last used
unknown-browser = Unknown browser
settings = Account settings
settings-lead = Change your password or email address, or delete the account.
back-to-account = Back to my account
change-password-title = Change password
change-password-lead = Changing your password signs you out everywhere except here.
change-email-title = Change email
change-email-lead = Enter the code sent to the new address to move the account. The old address is told.
send-email-code = Send code
confirm-email-change = Change email
changing-email = Changing…
delete-account-title = Delete account
delete-account = Delete account for good
deleting-account = Deleting…

## Field labels and hints

label-username = Username
label-password = Password
label-password-confirm = Confirm password
label-nickname = Nickname
label-email = Email
label-code = Verification code
label-new-password = New password
label-new-password-confirm = Confirm new password
label-current-password = Current password
label-new-email = New email
label-confirm-username = Type your username

hint-username = { $min }–{ $max } letters, digits or _
hint-password = At least { $min } characters, without your username or the part of your email before @
hint-new-password = { hint-password }
hint-nickname = { $min }–{ $max } letters or digits, single spaces between words
hint-email = We'll send the verification code here
hint-code = The { $len } digits from the email
hint-new-email = We'll send a code to this address
hint-confirm-username = Enter the username of the account to delete
hint-current-password = The password you use now

## API error codes

error-malformed-body = The request could not be read. Please reload the page.
error-unsupported-media-type = Unsupported request format. Please reload the page.
error-payload-too-large = What you entered is too long.
error-not-found = That was not found.
error-method-not-allowed = That request is not allowed. Please reload the page.
error-validation-failed = Please check the highlighted fields.
error-username-taken = This username is already taken.
error-nickname-taken = This nickname is already taken.
error-email-taken = This email address is already registered.
error-resend-cooldown = A code was just sent. You can ask for another one shortly.
error-too-many-codes = Too many codes have been requested for this address.
error-invalid-code = That code is not correct.
error-code-expired = This code has expired. Please request a new one.
error-too-many-guesses = Too many wrong codes for this address. Please try again later.
error-mail-unavailable = We can't send email right now. Please try again in a moment.
error-invalid-credentials = Wrong username or password.
error-invalid-token = Your session has expired. Please log in again.
error-too-many-attempts = Too many failed log-ins for this account. Please wait a moment.
error-rate-limited = Too many requests. Please wait a moment.
error-service-unavailable = The service is briefly unavailable. Please try again in a moment.
error-internal = Something went wrong on our side. Please try again in a moment.
error-required = This field is required.
error-too-short = This is too short.
error-too-long = This is too long.
error-invalid-characters = This contains characters that are not allowed.
error-invalid-format = This is not in the right format.
error-weak-password = This password is too easy to guess: it contains your username or the part of your email before @.
error-common-password = This password is one of the most common ones. Please choose another.
error-account-disabled = This account has been disabled. Please contact support.
error-forbidden = You are not allowed to do this.
error-passkey-rejected = The passkey could not be verified. Please try again.
error-passkey-taken = This passkey is already registered.
error-too-many-passkeys = This account has as many passkeys as it may have. Remove one first.
error-invalid-challenge = The passkey request expired. Please try again.
error-totp-already-enabled = Two-step login with an authenticator app is already on.
error-totp-not-set-up = Start the authenticator app setup first.
error-totp-not-enabled = Two-step login with an authenticator app is not on.

## Refusals with a known wait

wait-too-many-attempts = Too many failed log-ins for this account, so logging in is paused.
wait-rate-limited = Too many requests from your connection.
wait-mail-unavailable = We can't send email right now.
wait-service-unavailable = The service is briefly unavailable.
wait-internal = Something went wrong on our side.
wait-resend-cooldown = A code was just sent to this address.
wait-too-many-guesses = Too many wrong codes for this address.

wait-then-retry = { $lead } { $retry }
retry-in = Try again in { $duration }.
duration-s = { $s } s
duration-m = { $m } min
duration-m-s = { $m } min { $s } s
duration-h = { $h } h
duration-h-m = { $h } h { $m } min

## Messages next to a field

issue-password-mismatch = The passwords do not match.
issue-verify-first = Press “Verify email” to get a code first.
issue-not-this-account = That is not this account's username.
issue-wrong-code = That code is not correct.
issue-wrong-code-left =
    { $n ->
        [0] That code is not correct and no attempts are left. Please request a new code.
        [one] That code is not correct. 1 attempt left.
       *[other] That code is not correct. { $n } attempts left.
    }
issue-too-short = Use at least { $min } characters.
issue-too-long = Use at most { $max } characters.
issue-username-invalid-characters = Use only letters a–z, digits and _.
issue-nickname-invalid-characters = Use letters, digits and single spaces between words.
issue-email-invalid = Enter a valid email address.
issue-code-invalid-format = Enter the { $len } digits from the email.

## Form-wide alerts

alert-network = Can't reach the server. Check your connection and try again.
alert-server = The server had a problem ({ $status }). Please try again in a moment.

## The code step

code-expires-in = Code expires in { $clock }
resend-in = Resend in { $duration }
code-sent = We sent a code to { $email }. Check your inbox.
reset-code-sent = If { $email } belongs to an account, we sent a reset code to it. Check your inbox.

## Pages

delete-warning = This deletes the account { $username } for good: its data and every session go, and it cannot be undone. The username and email become free to sign up again.
welcome = Welcome, { $nickname }

## One-time notices on the next page

notice-registered = Your account is ready. Please log in.
notice-session-expired = Your session has expired. Please log in again.
notice-logged-out = You have been logged out.
notice-logged-out-everywhere = You have been logged out on every device.
notice-password-changed = Your password has been changed and you have been logged out on every device. Please log in with your new password.
notice-password-changed-here = Your password is changed. Every other device has been logged out.
notice-email-changed = Your email address is changed. We told the old address.
notice-account-deleted = Your account is deleted. Thank you for having been with us.
notice-totp-disabled = Two-step login with an authenticator app is off.

## Security: two-step login and passkeys

security-title = Security
security-lead = Manage two-step login with an authenticator app and your passkeys.
totp-title = Two-step login (authenticator app)
totp-on = On
totp-off = Off
set-up-totp = Set up an authenticator app
setting-up-totp = Preparing…
totp-scan-lead = Scan the QR code with your authenticator app or type the setup key, then enter the 6-digit code the app shows.
totp-secret = Setup key
enable-totp = Turn on two-step login
enabling-totp = Turning on…
recovery-codes-title = Recovery codes
recovery-codes-lead = Each code works once when you cannot use your authenticator app. They are shown only now: keep them somewhere safe.
copy-codes = Copy recovery codes
codes-copied = Copied.
disable-totp = Turn off two-step login
disabling-totp = Turning off…
disable-totp-lead = Enter your password and a code from your authenticator app (or a recovery code) to turn two-step login off.
new-recovery-codes = Make new recovery codes
making-recovery-codes = Making…
new-recovery-codes-lead = New recovery codes replace the old ones, which stop working.
recovery-codes-left = Recovery codes left: { $n }
passkeys-title = Passkeys
passkeys-lead = A passkey signs you in without a password, or serves as the second step of a login.
no-passkeys = No passkeys yet.
add-passkey = Add a passkey
adding-passkey = Adding…
delete-passkey = Delete
passkey-added = added { $date }
sign-in-with-passkey = Sign in with a passkey
mfa-title = Two-step login
mfa-lead = Enter the 6-digit code your authenticator app shows.
mfa-recovery-lead = Enter one of your recovery codes. Each works once.
use-recovery-code = Use a recovery code
use-totp-code = Use the authenticator app
use-passkey = Use a passkey
verify = Verify
verifying = Verifying…
start-over = Start over
label-recovery-code = Recovery code
label-name = Passkey name
hint-recovery-code = One of the codes you got when you turned two-step login on
hint-name = A name you will recognise ({ $min }–{ $max } characters), e.g. Laptop

## Sign-in by an emailed code

login-with-code = Sign in with a code by email
login-with-password = Sign in with a password
login-code-lead = We'll email a sign-in code to your account's address.
send-login-code = Send sign-in code
login-code-sent = If { $email } belongs to an account, we sent a sign-in code to it. Check your inbox.

## The TOTP setup's QR code

totp-qr-label = QR code to scan with your authenticator app

## Step-up

step-up-title = Confirm it's you
step-up-lead = Enter your password again to change your security settings.
step-up-lead-totp = Enter your password and a code from your authenticator app again to change your security settings.
confirm = Confirm
cancel = Cancel

## "This wasn't me"

not-me-title = This wasn't me
not-me-lead = If you did not make the sign-in the alert told you about, press the button below. Every device is signed out of this account and we email a password reset code to its address.
not-me-button = Sign out everywhere and reset my password
not-me-working = Working…
not-me-no-token = This link is not valid. Please open the link from the alert email again.
not-me-used = This link has expired or was used already. To change your password, use “Forgot password?” on the login page.
not-me-continue = Set a new password
not-me-done =
    { $n ->
        [0] No device was signed in. We emailed a password reset code to the account's address.
        [one] 1 device was signed out. We emailed a password reset code to the account's address.
       *[other] { $n } devices were signed out. We emailed a password reset code to the account's address.
    }
reset-code-mailed = We emailed a reset code to the account's address. Enter the address, the code and a new password.

## The account area

account-nav = Account menu
menu = Menu
overview = Overview
activity-title = Recent activity
activity-lead = Sign-ins and changes to the security of this account. If you don't recognise something, press “This wasn't me”.
activity-empty = No activity recorded yet.
show-older = Show older activity
this-wasnt-me = This wasn't me
this-session = This session

## Offering a passkey

passkey-offer-title = Add a passkey
passkey-offer-lead = With a passkey you sign in faster and more safely, without a password.
passkey-offer-add = Add a passkey
not-now = Not now

## Times in words

ago-now = just now
ago-minutes =
    { $n ->
        [one] 1 minute ago
       *[other] { $n } minutes ago
    }
ago-hours =
    { $n ->
        [one] 1 hour ago
       *[other] { $n } hours ago
    }
ago-days =
    { $n ->
        [one] 1 day ago
       *[other] { $n } days ago
    }
browser-on-system = { $browser } on { $system }
last-used-at = Last used { $when }

## Activity entries

method-password = a password
method-email-code = a code by email
method-passkey = a passkey
method-totp = an authenticator code
method-recovery-code = a recovery code
method-other = another method
method-and = { $a } and { $b }
activity-user-created = Account created
activity-signed-in = Signed in with { $method }
activity-sign-in-refused =
    { $n ->
        [1] A failed sign-in ({ $method })
       *[other] { $n } failed sign-ins ({ $method })
    }
activity-new-sign-in-alert = New sign-in alert emailed
activity-not-me = “This wasn't me” used: every device signed out
activity-session-ended = Signed out
activity-session-ended-logout = Signed out
activity-session-ended-revoked = Signed out from another device
activity-session-ended-logout-all = Signed out everywhere
activity-session-ended-reuse = Signed out: a token was used twice
activity-session-ended-password = Signed out: the password changed
activity-session-ended-operator = Signed out by an operator
activity-session-ended-not-me = Signed out by “This wasn't me”
activity-password-changed = Password changed
activity-password-reset = Password reset
activity-email-changed = Email address changed
activity-totp-enabled = Two-step login with an authenticator app turned on
activity-totp-disabled = Two-step login with an authenticator app turned off
activity-recovery-codes-replaced = New recovery codes made
activity-passkey-added = Passkey “{ $name }” added
activity-passkey-removed = Passkey “{ $name }” deleted
activity-account-disabled = Account disabled
activity-account-enabled = Account enabled again
