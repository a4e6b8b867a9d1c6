# Korean, the default language and the reference: every other file has exactly these ids
# (tests/locales.rs). Variables: $min/$max (length limits), $len (code digits), $n, $secs,
# $status, $email, $username, $nickname; see frontend/README.md, "Adding a language".

## The language itself

# Its own name, on the language switch.
language-name = 한국어

## Static texts (the `T` keys, kebab-case)

app-name = 이메일 인증 가입
language = 언어
signup-title = 회원가입
signup-lead = 이메일로 받은 인증 코드로 가입을 완료합니다.
login-title = 로그인
login-lead = 아이디와 비밀번호를 입력해 주세요.
home-title = 내 정보
show-password = 보기
hide-password = 숨기기
verify-email = 이메일 인증
sending = 보내는 중…
resend = 다시 보내기
sign-up = 회원가입
signing-up = 가입하는 중…
log-in = 로그인
logging-in = 로그인하는 중…
log-out = 로그아웃
have-account = 이미 계정이 있나요?
no-account = 아직 계정이 없나요?
code-expired-hint = 코드가 만료되었습니다. '다시 보내기'로 새 코드를 받아 주세요.
loading = 불러오는 중…
retry = 다시 시도
not-found-title = 페이지를 찾을 수 없습니다
go-home = 처음으로
profile-username = 아이디
profile-email = 이메일
profile-nickname = 닉네임
forgot-password = 비밀번호를 잊으셨나요?
reset-title = 비밀번호 재설정
reset-lead = 가입한 이메일로 받은 재설정 코드로 새 비밀번호를 정합니다.
send-reset-code = 재설정 코드 받기
change-password = 비밀번호 변경
changing-password = 변경하는 중…
remembered-password = 비밀번호가 생각나셨나요?
log-out-everywhere = 모든 기기에서 로그아웃
logging-out-everywhere = 로그아웃하는 중…
devices = 로그인한 기기
devices-lead = 이 계정으로 로그인한 기기입니다. 모르는 기기가 있으면 로그아웃시키고 비밀번호를 바꾸세요.
this-device = 이 기기
end-session = 로그아웃시키기
ending-session = 로그아웃시키는 중…
last-used = 마지막 사용
unknown-browser = 알 수 없는 브라우저
settings = 계정 설정
settings-lead = 비밀번호와 이메일 주소를 바꾸거나 계정을 삭제합니다.
back-to-account = 내 정보로 돌아가기
change-password-title = 비밀번호 변경
change-password-lead = 비밀번호를 바꾸면 이 기기를 뺀 모든 기기에서 로그아웃됩니다.
change-email-title = 이메일 변경
change-email-lead = 새 주소로 받은 인증 코드를 입력하면 주소가 바뀝니다. 이전 주소로 알림이 갑니다.
send-email-code = 인증 코드 받기
confirm-email-change = 이메일 변경
changing-email = 바꾸는 중…
delete-account-title = 계정 삭제
delete-account = 계정 영구 삭제
deleting-account = 삭제하는 중…

## Field labels and hints (hints get $min, $max and $len)

label-username = 아이디
label-password = 비밀번호
label-password-confirm = 비밀번호 확인
label-nickname = 닉네임
label-email = 이메일
label-code = 인증 코드
label-new-password = 새 비밀번호
label-new-password-confirm = 새 비밀번호 확인
label-current-password = 현재 비밀번호
label-new-email = 새 이메일
label-confirm-username = 아이디 다시 입력

hint-username = 영문, 숫자, _ { $min }–{ $max }자
hint-password = { $min }자 이상, 아이디나 이메일 아이디(@ 앞부분)가 들어가지 않게
hint-new-password = { hint-password }
hint-nickname = { $min }–{ $max }자, 글자와 숫자 (단어 사이 띄어쓰기 가능)
hint-email = 인증 코드를 받을 주소
hint-code = 메일로 받은 숫자 { $len }자리
hint-new-email = 이 주소로 인증 코드를 보냅니다
hint-confirm-username = 삭제할 계정의 아이디를 그대로 입력하세요
hint-current-password = 지금 쓰고 있는 비밀번호

## API error codes (`error-` and the code, kebab-case)

error-malformed-body = 요청을 처리할 수 없습니다. 페이지를 새로고침해 주세요.
error-unsupported-media-type = 지원하지 않는 요청 형식입니다. 페이지를 새로고침해 주세요.
error-payload-too-large = 입력한 내용이 너무 깁니다.
error-not-found = 요청한 항목을 찾을 수 없습니다.
error-method-not-allowed = 허용되지 않는 요청입니다. 페이지를 새로고침해 주세요.
error-validation-failed = 입력한 내용을 확인해 주세요.
error-username-taken = 이미 사용 중인 아이디입니다.
error-nickname-taken = 이미 사용 중인 닉네임입니다.
error-email-taken = 이미 가입된 이메일입니다.
error-resend-cooldown = 인증 코드를 방금 보냈습니다. 잠시 후에 다시 요청할 수 있습니다.
error-too-many-codes = 인증 코드를 너무 많이 요청했습니다.
error-invalid-code = 인증 코드가 일치하지 않습니다.
error-code-expired = 인증 코드가 만료되었습니다. 새 코드를 받아 주세요.
error-too-many-guesses = 이 주소로 잘못된 코드가 너무 많이 입력되었습니다. 나중에 다시 시도해 주세요.
error-mail-unavailable = 지금은 메일을 보낼 수 없습니다. 잠시 후 다시 시도해 주세요.
error-invalid-credentials = 아이디 또는 비밀번호가 올바르지 않습니다.
error-invalid-token = 로그인이 만료되었습니다. 다시 로그인해 주세요.
error-too-many-attempts = 로그인 시도가 너무 많습니다. 잠시 후 다시 시도해 주세요.
error-rate-limited = 요청이 너무 많습니다. 잠시 후 다시 시도해 주세요.
error-service-unavailable = 서비스를 잠시 사용할 수 없습니다. 잠시 후 다시 시도해 주세요.
error-internal = 서버에서 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.
error-required = 필수 항목입니다.
error-too-short = 너무 짧습니다.
error-too-long = 너무 깁니다.
error-invalid-characters = 사용할 수 없는 문자가 들어 있습니다.
error-invalid-format = 형식이 올바르지 않습니다.
error-weak-password = 추측하기 쉬운 비밀번호입니다. 아이디나 이메일 아이디(@ 앞부분)가 들어가지 않게 해 주세요.
error-common-password = 너무 흔한 비밀번호입니다. 다른 비밀번호를 써 주세요.
error-account-disabled = 이 계정은 사용이 중지되었습니다. 고객 지원에 문의해 주세요.
error-forbidden = 이 작업을 할 권한이 없습니다.
error-passkey-rejected = 패스키를 확인하지 못했습니다. 다시 시도해 주세요.
error-passkey-taken = 이미 등록된 패스키입니다.
error-too-many-passkeys = 이 계정에 더 추가할 수 없을 만큼 패스키가 많습니다. 먼저 하나를 삭제하세요.
error-invalid-challenge = 패스키 요청이 만료되었습니다. 다시 시도해 주세요.
error-totp-already-enabled = 인증 앱 2단계 로그인이 이미 켜져 있습니다.
error-totp-not-set-up = 먼저 인증 앱 설정을 시작해 주세요.
error-totp-not-enabled = 인증 앱 2단계 로그인이 켜져 있지 않습니다.

## Refusals with a known wait: what is said before retry-in (codes without a `wait-` id use
## their `error-` message)

wait-too-many-attempts = 이 계정에 로그인 실패가 너무 많아 잠시 로그인할 수 없습니다.
wait-rate-limited = 요청이 너무 많습니다.
wait-mail-unavailable = 지금은 메일을 보낼 수 없습니다.
wait-service-unavailable = 서비스를 잠시 사용할 수 없습니다.
wait-internal = 서버에서 문제가 생겼습니다.
wait-resend-cooldown = 이 주소로 코드를 방금 보냈습니다.
wait-too-many-guesses = 이 주소로 잘못된 코드가 너무 많이 입력되었습니다.

# $lead: the wait-/error- message; $retry: retry-in.
wait-then-retry = { $lead } { $retry }
# $duration: one of the duration- messages.
retry-in = { $duration } 후에 다시 시도해 주세요.
duration-s = { $s }초
duration-m = { $m }분
duration-m-s = { $m }분 { $s }초
# An hour or more: hours and minutes (the seconds no longer matter).
duration-h = { $h }시간
duration-h-m = { $h }시간 { $m }분

## Messages next to a field

issue-password-mismatch = 비밀번호가 일치하지 않습니다.
issue-verify-first = '이메일 인증'을 눌러 인증 코드를 먼저 받아 주세요.
issue-not-this-account = 이 계정의 아이디와 다릅니다.
issue-wrong-code = 인증 코드가 일치하지 않습니다.
# $n: attempts left.
issue-wrong-code-left =
    { $n ->
        [0] 인증 코드가 일치하지 않습니다. 남은 시도가 없으니 새 코드를 받아 주세요.
       *[other] 인증 코드가 일치하지 않습니다. 남은 시도: { $n }회
    }
issue-too-short = { $min }자 이상 입력해 주세요.
issue-too-long = { $max }자 이하로 입력해 주세요.
issue-username-invalid-characters = 영문, 숫자, 밑줄(_)만 쓸 수 있습니다.
issue-nickname-invalid-characters = 글자와 숫자, 단어 사이 한 칸 띄어쓰기만 쓸 수 있습니다.
issue-email-invalid = 올바른 이메일 주소를 입력해 주세요.
issue-code-invalid-format = 메일로 받은 숫자 { $len }자리를 입력해 주세요.

## Form-wide alerts

alert-network = 서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.
alert-server = 서버에 일시적인 문제가 있습니다 ({ $status }). 잠시 후 다시 시도해 주세요.

## The code step

# $clock: m:ss
code-expires-in = 남은 시간 { $clock }
# $duration: one of the duration- messages.
resend-in = 다시 보내기 ({ $duration })
code-sent = { $email }(으)로 인증 코드를 보냈습니다. 메일함을 확인해 주세요.
# The same whether or not the address has an account.
reset-code-sent = { $email }(으)로 가입한 계정이 있으면 재설정 코드를 보냈습니다. 메일함을 확인해 주세요.

## Pages

delete-warning = { $username } 계정을 영구히 삭제합니다. 계정 정보와 모든 로그인이 지워지고 되돌릴 수 없습니다. 아이디와 이메일은 다시 가입에 쓸 수 있게 됩니다.
welcome = { $nickname }님 환영합니다

## One-time notices on the next page

notice-registered = 가입이 완료되었습니다. 로그인해 주세요.
notice-session-expired = 로그인이 만료되었습니다. 다시 로그인해 주세요.
notice-logged-out = 로그아웃되었습니다.
notice-logged-out-everywhere = 모든 기기에서 로그아웃되었습니다.
notice-password-changed = 비밀번호가 변경되었습니다. 모든 기기에서 로그아웃되었습니다. 새 비밀번호로 로그인해 주세요.
notice-password-changed-here = 비밀번호를 바꿨습니다. 다른 기기에서는 모두 로그아웃되었습니다.
notice-email-changed = 이메일 주소를 바꿨습니다. 이전 주소로 알림을 보냈습니다.
notice-account-deleted = 계정을 삭제했습니다. 그동안 이용해 주셔서 감사합니다.
notice-totp-disabled = 인증 앱 2단계 로그인을 껐습니다.

## Security: two-step login and passkeys

security-title = 보안
security-lead = 인증 앱 2단계 로그인과 패스키를 관리합니다.
totp-title = 인증 앱 2단계 로그인
totp-on = 켜져 있습니다
totp-off = 꺼져 있습니다
set-up-totp = 인증 앱 설정
setting-up-totp = 준비하는 중…
totp-scan-lead = 인증 앱으로 QR 코드를 스캔하거나 설정 키를 직접 입력한 다음, 앱에 표시된 6자리 코드를 입력하세요.
totp-secret = 설정 키
enable-totp = 2단계 로그인 켜기
enabling-totp = 켜는 중…
recovery-codes-title = 복구 코드
recovery-codes-lead = 인증 앱을 쓸 수 없을 때 코드마다 한 번씩 쓸 수 있습니다. 지금 한 번만 보여 드리니 안전한 곳에 보관하세요.
copy-codes = 복구 코드 복사
codes-copied = 복사했습니다.
disable-totp = 2단계 로그인 끄기
disabling-totp = 끄는 중…
disable-totp-lead = 비밀번호와 인증 앱의 코드(또는 복구 코드)를 입력하면 2단계 로그인이 꺼집니다.
new-recovery-codes = 복구 코드 새로 만들기
making-recovery-codes = 만드는 중…
new-recovery-codes-lead = 새 복구 코드를 만들면 이전 코드는 더 이상 쓸 수 없습니다.
recovery-codes-left = 남은 복구 코드: { $n }개
passkeys-title = 패스키
passkeys-lead = 패스키로 비밀번호 없이 로그인하거나 2단계 로그인을 할 수 있습니다.
no-passkeys = 등록된 패스키가 없습니다.
add-passkey = 패스키 추가
adding-passkey = 추가하는 중…
delete-passkey = 삭제
passkey-added = { $date } 추가
sign-in-with-passkey = 패스키로 로그인
mfa-title = 2단계 인증
mfa-lead = 인증 앱에 표시된 6자리 코드를 입력하세요.
mfa-recovery-lead = 복구 코드 하나를 입력하세요. 각 코드는 한 번만 쓸 수 있습니다.
use-recovery-code = 복구 코드 사용
use-totp-code = 인증 앱 코드 사용
use-passkey = 패스키 사용
verify = 확인
verifying = 확인하는 중…
start-over = 처음부터 다시
label-recovery-code = 복구 코드
label-name = 패스키 이름
hint-recovery-code = 2단계 로그인을 켤 때 받은 코드 중 하나
hint-name = 알아볼 수 있는 이름 ({ $min }–{ $max }자), 예: 노트북

## Sign-in by an emailed code

login-with-code = 이메일 코드로 로그인
login-with-password = 비밀번호로 로그인
login-code-lead = 계정의 이메일 주소로 로그인 코드를 보내 드립니다.
send-login-code = 로그인 코드 받기
# The same whether or not the address has an account.
login-code-sent = { $email }(으)로 가입한 계정이 있으면 로그인 코드를 보냈습니다. 메일함을 확인해 주세요.

## The TOTP setup's QR code (its accessible name: never the otpauth:// URI, which holds the secret)

totp-qr-label = 인증 앱에서 스캔할 QR 코드

## Step-up: proving the password (and a code) again before changing the factors

step-up-title = 본인 확인
step-up-lead = 보안 설정을 바꾸려면 비밀번호를 다시 입력해 주세요.
step-up-lead-totp = 보안 설정을 바꾸려면 비밀번호와 인증 앱의 코드를 다시 입력해 주세요.
confirm = 확인
cancel = 취소

## "This wasn't me" from a new-sign-in alert (/security/not-me)

not-me-title = 내가 로그인하지 않았습니다
not-me-lead = 알림 메일에 적힌 로그인을 직접 하지 않았다면 아래 버튼을 누르세요. 이 계정의 모든 기기에서 로그아웃되고, 가입한 이메일로 비밀번호 재설정 코드를 보내 드립니다.
not-me-button = 모든 기기에서 로그아웃하고 비밀번호 재설정
not-me-working = 처리하는 중…
not-me-no-token = 링크가 올바르지 않습니다. 알림 메일의 링크를 다시 열어 주세요.
not-me-used = 이 링크는 만료되었거나 이미 사용되었습니다. 비밀번호를 바꾸려면 로그인 화면의 '비밀번호를 잊으셨나요?'를 이용하세요.
not-me-continue = 새 비밀번호 정하기
# $n: how many sessions ended.
not-me-done =
    { $n ->
        [0] 로그인된 기기가 없었습니다. 가입한 이메일로 비밀번호 재설정 코드를 보냈습니다.
       *[other] { $n }개 기기에서 로그아웃시켰습니다. 가입한 이메일로 비밀번호 재설정 코드를 보냈습니다.
    }
reset-code-mailed = 가입한 이메일로 재설정 코드를 보냈습니다. 이메일 주소와 받은 코드, 새 비밀번호를 입력하세요.

## The account area

account-nav = 계정 메뉴
menu = 메뉴
overview = 개요
activity-title = 최근 활동
activity-lead = 이 계정의 로그인과 보안 설정 변경 기록입니다. 모르는 활동이 있으면 '내가 아닙니다'를 누르세요.
activity-empty = 아직 기록된 활동이 없습니다.
show-older = 이전 활동 더 보기
this-wasnt-me = 내가 아닙니다
this-session = 현재 세션

## Offering a passkey after a sign-in without one

passkey-offer-title = 패스키를 추가해 보세요
passkey-offer-lead = 패스키를 쓰면 비밀번호 없이 더 안전하고 빠르게 로그인할 수 있습니다.
passkey-offer-add = 패스키 추가하기
not-now = 다음에

## Times in words ($n: a count)

ago-now = 방금 전
ago-minutes = { $n }분 전
ago-hours = { $n }시간 전
ago-days = { $n }일 전
# $browser, $system: from the User-Agent.
browser-on-system = { $system }의 { $browser }
# $when: a time in words.
last-used-at = 마지막 사용 { $when }

## Activity entries ($method: the method- texts; $name: a passkey's name)

method-password = 비밀번호
method-email-code = 이메일 코드
method-passkey = 패스키
method-totp = 인증 앱 코드
method-recovery-code = 복구 코드
method-other = 다른 방법
# $a, $b: two method- texts.
method-and = { $a }와 { $b }
activity-user-created = 계정을 만들었습니다
activity-signed-in = { $method }로 로그인했습니다
activity-sign-in-refused =
    { $n ->
        [1] 로그인에 실패했습니다 ({ $method })
       *[other] 로그인에 { $n }번 실패했습니다 ({ $method })
    }
activity-new-sign-in-alert = 새 로그인 알림 메일을 보냈습니다
activity-not-me = '내가 아닙니다'로 모든 기기에서 로그아웃했습니다
activity-session-ended = 로그아웃되었습니다
activity-session-ended-logout = 로그아웃했습니다
activity-session-ended-revoked = 다른 기기에서 로그아웃시켰습니다
activity-session-ended-logout-all = 모든 기기에서 로그아웃했습니다
activity-session-ended-reuse = 토큰 재사용이 감지되어 로그아웃되었습니다
activity-session-ended-password = 비밀번호가 바뀌어 로그아웃되었습니다
activity-session-ended-operator = 운영자가 로그아웃시켰습니다
activity-session-ended-not-me = '내가 아닙니다'로 로그아웃되었습니다
activity-password-changed = 비밀번호를 바꿨습니다
activity-password-reset = 비밀번호를 재설정했습니다
activity-email-changed = 이메일 주소를 바꿨습니다
activity-totp-enabled = 인증 앱 2단계 로그인을 켰습니다
activity-totp-disabled = 인증 앱 2단계 로그인을 껐습니다
activity-recovery-codes-replaced = 복구 코드를 새로 만들었습니다
activity-passkey-added = 패스키 “{ $name }”을(를) 추가했습니다
activity-passkey-removed = 패스키 “{ $name }”을(를) 삭제했습니다
activity-account-disabled = 계정 사용이 중지되었습니다
activity-account-enabled = 계정 사용이 다시 허용되었습니다
