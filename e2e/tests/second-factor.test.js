// Second factors in a real Chromium against the real backend: TOTP set up in the settings
// page from the QR code's secret (codes computed by lib/totp.js, RFC 6238), recovery codes shown once,
// the two-step login; then passkeys with Chromium's virtual authenticator (CDP WebAuthn
// domain): register one in settings, sign in with it alone, and use it as the second step.
// The app runs on http://localhost:PORT (scripts/e2e.sh): WebAuthn refuses IP addresses.
// Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_URL, expectPath, expectText } from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import { expectMainPage, fieldError, signIn } from '../lib/flows.js';
import { addAuthenticator } from '../lib/signin.js';
import { enableTotpViaApi, stepNow, totp, totpCodes } from '../lib/totp.js';

const { withPage } = useBrowser();

test('the RFC 6238 helper computes the published SHA-1 vectors', () => {
  // RFC 6238 appendix B: the ASCII secret "12345678901234567890", 8 digits there; the last 6
  // digits are the 6-digit code.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(totp(secret, Math.floor(59 / 30)), '287082');
  assert.equal(totp(secret, Math.floor(1111111109 / 30)), '081804');
  assert.equal(totp(secret, Math.floor(2000000000 / 30)), '279037');
});

// ---------------------------------------------------------------------------------------

/** From the main page to the security settings, through the links a person would use. */
async function openSecurity(page, shot) {
  await page.locator('#settings-link').click();
  await expectPath(page, '/settings');
  await page.locator('#settings-security').click();
  await expectPath(page, '/settings/security');
  await expectText(page.getByRole('heading', { level: 1 }), '보안');
  await shot('security settings');
}

/** Back to the main page and "로그아웃". */
async function logOut(page, person) {
  await page.getByRole('link', { name: '내 정보로 돌아가기' }).click();
  await expectPath(page, '/');
  await expectMainPage(page, person);
  await page.getByRole('button', { name: '로그아웃', exact: true }).click();
  await expectPath(page, '/login');
  await expectText(page.getByRole('status'), '로그아웃되었습니다.');
}

/** Username and password on /login, up to the second step. */
async function passwordStep(page, shot, person) {
  await expectText(page.getByRole('heading', { level: 1 }), '로그인');
  await page.getByLabel('아이디', { exact: true }).fill(person.username);
  await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: '로그인', exact: true }).click();
  await expectText(page.locator('#mfa-title'), '2단계 인증');
  await shot('second step asked');
}

/** The "confirm it's you" form of a factor change: the password (and a code with TOTP on). */
async function stepUp(page, shot, person, codes) {
  await expectText(page.locator('#step-up-title'), '본인 확인');
  await page.locator('.step-up').getByLabel('비밀번호', { exact: true }).fill(person.password);
  if (codes) await page.locator('.step-up').getByLabel('인증 코드', { exact: true }).fill(await codes.fresh());
  await shot('step-up asked');
  await page.locator('#step-up-submit').click();
}

/**
 * The proof that new recovery codes and turning TOTP off ask for: the password, the switch
 * (`switchId`) to a recovery code instead of a code, `recoveryCode`, then `submitId`.
 */
async function proveWithRecoveryCode(page, person, switchId, recoveryCode, submitId) {
  await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
  await page.locator(switchId).click();
  await page.getByLabel('복구 코드', { exact: true }).fill(recoveryCode);
  await page.locator(submitId).click();
}

test('TOTP: set up in settings from the shown secret, recovery codes shown once, then login asks for the code', async (t) => {
  const person = await registeredPerson('totp');
  await withPage(t, async ({ context, page, shot }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE_URL });
    await signIn(page, shot, person);
    await openSecurity(page, shot);
    await expectText(page.locator('#totp-status'), '꺼져 있습니다');
    await expectText(page.locator('#no-passkeys'), '등록된 패스키가 없습니다');

    await page.locator('#totp-setup').click();
    // A factor change proves the password again (a sign-in alone is no step-up).
    await stepUp(page, shot, person);
    const secret = (await expectText(page.locator('#totp-secret'), /^[A-Z2-7]{16,}=*$/)).trim();
    // The QR code is drawn in the page (an inline SVG), not fetched from anywhere; its
    // accessible name says what it is, and never holds the secret's URI.
    assert.equal(await page.locator('#totp-qr svg').count(), 1);
    const label = await page.locator('#totp-qr').getAttribute('aria-label');
    assert.equal(label, '인증 앱에서 스캔할 QR 코드');
    assert.ok(!label.includes('otpauth') && !label.includes(secret), 'no secret in the name');
    await shot('totp setup with QR code and secret');
    const codes = totpCodes(secret);

    // A wrong code is refused next to the field.
    const valid = new Set([-1, 0, 1, 2].map((d) => totp(secret, stepNow() + d)));
    const wrong = ['000000', '111111', '222222'].find((c) => !valid.has(c));
    const code = page.getByLabel('인증 코드', { exact: true });
    await code.fill(wrong);
    await page.locator('#totp-enable').click();
    await expectText(fieldError(page, 'code'), '인증 코드가 일치하지 않습니다');
    await shot('wrong totp code');

    await code.fill(await codes.fresh());
    await page.locator('#totp-enable').click();
    await expectText(page.locator('#recovery-codes-title'), '복구 코드');
    const items = page.locator('#recovery-codes li');
    await items.first().waitFor();
    const recoveryCodes = (await items.allTextContents()).map((c) => c.trim());
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);
    await expectText(page.locator('#totp-status'), '켜져 있습니다');
    await expectText(page.locator('#recovery-codes-left'), '10');
    await page.locator('#copy-recovery-codes').click();
    await expectText(page.locator('.recovery-codes [role="status"]'), '복사했습니다');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), recoveryCodes.join('\n'));
    await shot('totp on, recovery codes shown and copied');

    await logOut(page, person);
    await passwordStep(page, shot, person);
    // A code of a step not used yet (the server takes each once, with one step of skew).
    await page.getByLabel('인증 코드', { exact: true }).fill(await codes.fresh());
    await shot('totp code entered');
    await page.locator('#mfa-submit').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('signed in with password and totp');
  });
});

test('passkeys: register one with the virtual authenticator, sign in with it alone, then as the second step; new recovery codes; TOTP off', async (t) => {
  // An account of its own with TOTP on (set up through the API; the test above does it in
  // the page), so this test runs alone or in any order.
  const person = await registeredPerson('passkey');
  const { secret, step, recoveryCodes } = await enableTotpViaApi(person);
  const codes = totpCodes(secret, step);
  await withPage(t, async ({ page, shot }) => {
    const { cdp, authenticatorId } = await addAuthenticator(page);

    // The buttons are what this test is about: no autofill request (with the automatic touch
    // of the virtual authenticator it would sign in by itself; passkey-autofill.test.js).
    await page.addInitScript(() => {
      if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;
    });
    // TOTP is on: the second step, this time with a recovery code.
    await page.goto('/login');
    await passwordStep(page, shot, person);
    assert.equal(await page.locator('#mfa-passkey').count(), 0, 'no passkey yet');
    await page.locator('#mfa-switch').click();
    await page.getByLabel('복구 코드', { exact: true }).fill(recoveryCodes[0]);
    await shot('recovery code entered');
    await page.locator('#mfa-submit').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);

    await openSecurity(page, shot);
    await expectText(page.locator('#recovery-codes-left'), '9');
    await page.getByLabel('패스키 이름', { exact: true }).fill('노트북');
    await page.locator('#passkey-add').click();
    // TOTP is on: the step-up takes the password and a code.
    await stepUp(page, shot, person, codes);
    await expectText(page.locator('#passkey-list'), '노트북');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true);
    await shot('passkey registered');

    // A passkey alone.
    await logOut(page, person);
    await page.locator('#passkey-login').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('signed in with the passkey alone');

    // The password, then the passkey as the second step.
    await openSecurity(page, shot);
    await logOut(page, person);
    await passwordStep(page, shot, person);
    await page.locator('#mfa-passkey').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('signed in with password and passkey');

    // Deleting it empties the list (a new session: the step-up again).
    await openSecurity(page, shot);
    await page.getByRole('button', { name: '삭제 노트북' }).click();
    await stepUp(page, shot, person, codes);
    await expectText(page.locator('#no-passkeys'), '등록된 패스키가 없습니다');
    await shot('passkey deleted');

    // New recovery codes (the password and a recovery code again), then TOTP off with one
    // of them.
    await page.locator('#new-recovery-codes').click();
    await expectPath(page, '/settings/security/recovery');
    await proveWithRecoveryCode(page, person, '#recovery-switch', recoveryCodes[2], '#recovery-codes-submit');
    const items = page.locator('#recovery-codes li');
    await items.first().waitFor();
    const fresh = (await items.allTextContents()).map((c) => c.trim());
    assert.equal(fresh.length, 10);
    assert.ok(!fresh.includes(recoveryCodes[1]), 'new codes, not the old ones');
    await shot('new recovery codes');

    await page.locator('#settings-link').click();
    await page.locator('#settings-security').click();
    await page.locator('#disable-totp').click();
    await expectPath(page, '/settings/security/disable');
    // An old code died with the regeneration.
    await proveWithRecoveryCode(page, person, '#disable-switch', recoveryCodes[1], '#totp-disable');
    await expectText(fieldError(page, 'recovery_code'), '인증 코드가 일치하지 않습니다');
    await page.getByLabel('복구 코드', { exact: true }).fill(fresh[0]);
    await shot('disable totp filled');
    await page.locator('#totp-disable').click();
    await expectPath(page, '/settings/security');
    await expectText(page.getByRole('status').first(), '인증 앱 2단계 로그인을 껐습니다.');
    await expectText(page.locator('#totp-status'), '꺼져 있습니다');
    await shot('totp off');
  });
});
