// The account lifecycle in a real Chromium against the real backend, database and mail
// catcher: "forgot password" by mailed code, "log out" and "log out everywhere", and the
// login throttle.
// Every step leaves a screenshot in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BASE_URL,
  MAILDEV_URL,
  UI_TIMEOUT,
  expectPath,
  expectText,
  newPerson,
  nickStatus,
  waitUntil,
  watchMail,
} from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import { expectMainPage, fieldError, logIn, signIn } from '../lib/flows.js';

const { withPage, withSignedIn } = useBrowser();

/** The reset page's controls, found by their labels. */
function resetForm(page) {
  return {
    email: page.getByLabel('이메일', { exact: true }),
    code: page.getByLabel('인증 코드', { exact: true }),
    newPassword: page.getByLabel('새 비밀번호', { exact: true }),
    confirm: page.getByLabel('새 비밀번호 확인', { exact: true }),
    send: page.locator('#reset-send'),
    submit: page.getByRole('button', { name: '비밀번호 변경', exact: true }),
  };
}

/** Fills in the login form and presses "로그인" (no expectation about the outcome). */
async function tryLogIn(page, username, password) {
  await page.getByLabel('아이디', { exact: true }).fill(username);
  await page.getByLabel('비밀번호', { exact: true }).fill(password);
  await page.getByRole('button', { name: '로그인', exact: true }).click();
}

test('forgot password: mailed code, new password, notice, old password refused', async (t) => {
  // Signing up mailed a code moments ago, which starts the address's resend cooldown; a
  // reset mail shares it.
  const person = await registeredPerson('reset');
  await withPage(t, async ({ page, shot }) => {
    await page.goto('/login');
    await expectText(page.getByRole('heading', { level: 1 }), '로그인');
    await page.getByRole('link', { name: '비밀번호를 잊으셨나요?', exact: true }).click();
    await expectPath(page, '/reset');
    await expectText(page.getByRole('heading', { level: 1 }), '비밀번호 재설정');
    assert.match(await page.title(), /비밀번호 재설정/);
    const form = resetForm(page);
    assert.equal(await form.email.getAttribute('name'), 'email');
    assert.equal(await form.email.getAttribute('autocomplete'), 'email');
    assert.equal(await form.code.count(), 0, 'no code field before a code was asked for');
    await shot('reset page');

    // An address that is not one is refused before anything is sent.
    await form.email.fill('not-an-address');
    await form.send.click();
    await expectText(fieldError(page, 'email'), '올바른 이메일 주소를 입력해 주세요.');
    await shot('invalid email refused');

    await form.email.fill(person.email);
    await expectText(form.send, '재설정 코드 받기');
    await form.send.click();
    // The signup mail's cooldown is still running: the page says how long to wait and counts
    // it down on the button.
    await expectText(
      page.getByRole('alert'),
      /이 주소로 코드를 방금 보냈습니다\. (\d+분( \d+초)?|\d+초) 후에 다시 시도해 주세요\./,
    );
    await expectText(form.send, /다시 보내기 \(\d+초\)/);
    assert.equal(await form.send.isDisabled(), true, 'send button waits out the cooldown');
    await shot('cooldown shared with the signup mail');

    // The e2e server's cooldown is 15 s (scripts/e2e.sh): wait for the button, not a clock.
    await page.waitForFunction(() => !document.querySelector('#reset-send')?.disabled, null, {
      timeout: 30_000,
      polling: 250,
    });
    await expectText(form.send, '다시 보내기');
    const mail = await watchMail(person.email);
    await form.send.click();
    await expectText(
      page.getByRole('status'),
      `${person.email}(으)로 가입한 계정이 있으면 재설정 코드를 보냈습니다`,
    );
    await expectText(page.getByRole('timer'), /남은 시간 \d+:\d\d/);
    await expectText(form.send, /다시 보내기 \(\d+초\)/);
    assert.equal(await form.code.getAttribute('name'), 'code');
    assert.equal(await form.code.getAttribute('autocomplete'), 'one-time-code');
    assert.equal(await form.newPassword.getAttribute('name'), 'new_password');
    assert.equal(await form.newPassword.getAttribute('autocomplete'), 'new-password');
    assert.equal(await form.newPassword.getAttribute('type'), 'password');
    await shot('reset code requested');
    // The last mail to the address is the reset mail, with its code.
    const code = await mail.code();
    const inbox = `${MAILDEV_URL}/api/email?to.address=${encodeURIComponent(person.email)}`;
    const mails = await (await fetch(inbox)).json();
    assert.match(mails[mails.length - 1].subject, /비밀번호 재설정/);

    // The client checks the new password with the shared rules: the email's name part.
    const local = person.email.split('@')[0];
    await form.code.fill(code);
    await form.newPassword.fill(`My-${local}-pw`);
    await form.confirm.fill(`My-${local}-pw`);
    await form.submit.click();
    await expectText(fieldError(page, 'new_password'), '추측하기 쉬운 비밀번호입니다');
    await shot('new password with the email name refused');

    // A wrong code: the error and the attempts left, next to the code field.
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const newPassword = `Nw-${Date.now().toString(36)} 새 비밀번호`;
    await form.code.fill(wrong);
    await form.newPassword.fill(newPassword);
    await form.confirm.fill(newPassword);
    await form.submit.click();
    const text = await expectText(fieldError(page, 'code'), '인증 코드가 일치하지 않습니다');
    assert.match(text, /남은 시도: 4회/, `attempts left in ${JSON.stringify(text)}`);
    assert.equal(await form.code.getAttribute('aria-invalid'), 'true');
    await shot('wrong reset code');

    // A common password is refused by the server, next to the new password field.
    await form.code.fill(code);
    await form.newPassword.fill('password123');
    await form.confirm.fill('password123');
    await form.submit.click();
    await expectText(fieldError(page, 'new_password'), '너무 흔한 비밀번호입니다');
    assert.equal(await form.newPassword.getAttribute('aria-invalid'), 'true');
    await shot('common password refused by the server');

    // Show/hide switches both password fields.
    await page.getByRole('button', { name: '보기', exact: true }).click();
    assert.equal(await form.newPassword.getAttribute('type'), 'text');
    assert.equal(await form.confirm.getAttribute('type'), 'text');
    await form.newPassword.fill(newPassword);
    await form.confirm.fill(newPassword);
    await shot('new password entered');
    await form.submit.click();

    await expectPath(page, '/login');
    await expectText(
      page.getByRole('status'),
      '비밀번호가 변경되었습니다. 모든 기기에서 로그아웃되었습니다.',
    );
    await shot('password changed, login page with notice');

    // The old password no longer works …
    await tryLogIn(page, person.username, person.password);
    await expectText(page.getByRole('alert'), '아이디 또는 비밀번호가 올바르지 않습니다.');
    await expectPath(page, '/login');
    await shot('old password refused');
    // … the new one does.
    await logIn(page, shot, { ...person, password: newPassword });
  });
});

test('log out: the token is revoked on the server, the other device stays logged in', async (t) => {
  await withSignedIn(t, 'logout', ['device A', 'device B'], async (person, a, b) => {
    // A copy of the token, as someone who read it out of the tab's memory would keep it.
    const copied = a.tokens.latest();
    assert.ok(copied, 'device A holds a token');
    const nick = (token) =>
      a.page.evaluate(
        async (bearer) => (await fetch('/api/nick', { headers: { authorization: `Bearer ${bearer}` } })).status,
        token,
      );
    assert.equal(await nick(copied), 200, 'the copy works while logged in');

    await a.page.getByRole('button', { name: '로그아웃', exact: true }).click();
    await expectPath(a.page, '/login');
    await expectText(a.page.getByRole('status'), '로그아웃되었습니다.');
    await a.shot('logged out');

    // The server refuses the copied token now, from the page and from anywhere else.
    assert.equal(await nick(copied), 401, 'the copied token is refused after log-out');
    const res = await fetch(`${BASE_URL}/api/nick`, { headers: { authorization: `Bearer ${copied}` } });
    assert.equal(res.status, 401, 'refused outside the browser too');

    // Device B's session goes on.
    await b.page.reload();
    await expectPath(b.page, '/');
    await expectMainPage(b.page, person);
    await b.shot('other device still logged in');
  });
});

test('log out everywhere: the other device is logged out on its next request', async (t) => {
  await withSignedIn(t, 'everywhere', ['device A', 'device B'], async (person, a, b) => {
    const tokenB = b.tokens.latest();
    assert.ok(a.tokens.latest() && tokenB, 'both devices hold a token');

    const button = a.page.getByRole('button', { name: '모든 기기에서 로그아웃', exact: true });
    await expectText(button, '모든 기기에서 로그아웃');
    await a.shot('main page with log out everywhere');
    await button.click();
    await expectPath(a.page, '/login');
    await expectText(a.page.getByRole('status'), '모든 기기에서 로그아웃되었습니다.');
    await a.shot('logged out everywhere');
    // Its refresh cookie is gone too: the main page sends it to login.
    await a.page.goto('/');
    await expectPath(a.page, '/login');

    // Device B still shows its page until it asks the server again.
    await b.page.reload();
    await expectPath(b.page, '/login');
    await expectText(b.page.getByRole('status'), '로그인이 만료되었습니다. 다시 로그인해 주세요.');
    await b.shot('other device back on login after reload');

    // The revoked token stays refused; a fresh log-in works.
    const res = await fetch(`${BASE_URL}/api/nick`, { headers: { authorization: `Bearer ${tokenB}` } });
    assert.equal(res.status, 401, 'the old token is refused by the API');
    await logIn(b.page, b.shot, person);
    await expectMainPage(b.page, person);
  });
});

test('too many failed logins: the message says how long to wait', async (t) => {
  // Unknown usernames are counted like real ones, so no account is needed.
  const username = newPerson('throttle').username;
  for (let i = 0; i < 10; i += 1) {
    const res = await fetch(`${BASE_URL}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: `wrong password ${i}` }),
    });
    assert.equal(res.status, 401, `failure ${i + 1} is an ordinary refusal`);
  }
  await withPage(t, async ({ page, shot }) => {
    await page.goto('/login');
    await tryLogIn(page, username, 'yet another guess');
    const text = await expectText(
      page.getByRole('alert'),
      /^이 계정에 로그인 실패가 너무 많아 잠시 로그인할 수 없습니다\. (\d+분 )?(\d+초 )?후에 다시 시도해 주세요\.$/,
      { timeout: UI_TIMEOUT },
    );
    assert.match(text, /1[45]분/, `a wait of about 15 minutes in ${JSON.stringify(text)}`);
    await expectPath(page, '/login');
    await shot('login throttled with the wait');
  });
});

test('devices: the devices page lists both sessions, ends the other one, and that device is sent to login', async (t) => {
  // B signs in first, so that A's list (loaded with A's main page) already has both.
  await withSignedIn(t, 'devices', ['device B', 'device A'], async (person, b, a) => {
    await a.page.locator('#nav-devices').click();
    await expectPath(a.page, '/devices');
    const rows = a.page.locator('#devices li.device');
    await waitUntil(async () => (await rows.count()) === 2, 'two sessions in the list');
    await expectText(a.page.getByRole('heading', { name: '로그인한 기기' }), '로그인한 기기');
    const mine = a.page.locator('#devices li.device[data-current="true"]');
    await expectText(mine.locator('.this-device'), '이 기기');
    await expectText(mine.locator('.device-name'), /Chrome/);
    await expectText(mine.locator('.device-ip'), '127.0.0.1');
    await expectText(mine.locator('.device-last'), '마지막 사용');
    assert.equal(await mine.locator('button.end-session').count(), 0, 'no end button for this device');
    await a.shot('devices listed');

    // End B's session from A.
    const other = a.page.locator('#devices li.device[data-current="false"]');
    const tokenB = b.tokens.latest();
    assert.equal(await nickStatus(tokenB), 200);
    await other.locator('button.end-session').click();
    await waitUntil(async () => (await rows.count()) === 1, 'the other session gone from the list');
    await a.shot('other device ended');
    assert.equal(await nickStatus(tokenB), 401, "B's token is refused at once");

    // B is sent to the login page on its next request.
    await b.page.reload();
    await expectPath(b.page, '/login');
    await expectText(b.page.getByRole('status'), '로그인이 만료되었습니다. 다시 로그인해 주세요.');
    await b.shot('ended device back on login');
    // A goes on.
    await a.page.goto('/');
    await expectMainPage(a.page, person);
  });
});

test('an expired access token is refreshed silently and the request goes through', async (t) => {
  const person = await registeredPerson('expired');
  const ttl = Number(process.env.E2E_JWT_TTL_SECS ?? 20);
  await withPage(t, async ({ page, shot, tokens }) => {
    // Fake timers in the page: once paused, the scheduled refresh cannot run, so the token
    // in memory expires as it would in a tab that slept.
    await page.clock.install();
    await signIn(page, shot, person);
    await page.clock.pauseAt(new Date(Date.now() + 1_000));
    const stale = tokens.latest();
    // Wait for the condition (the server refuses the token), not for a time.
    await waitUntil(async () => (await nickStatus(stale)) === 401, 'the access token to expire', {
      timeout: (ttl + 20) * 1_000,
      every: 500,
    });
    const refused = page.waitForResponse(
      (r) => r.url().endsWith('/api/logout_all') && r.status() === 401,
    );
    const refreshed = page.waitForResponse(
      (r) => r.url().endsWith('/api/token/refresh') && r.status() === 200,
    );
    const retried = page.waitForResponse(
      (r) => r.url().endsWith('/api/logout_all') && r.status() === 204,
    );
    await page.getByRole('button', { name: '모든 기기에서 로그아웃', exact: true }).click();
    await Promise.all([refused, refreshed, retried]);
    // No "session expired": the person never noticed.
    await expectText(page.getByRole('status'), '모든 기기에서 로그아웃되었습니다.');
    // The page's timers run again for the screenshot's accessibility check (axe uses them).
    await page.clock.resume();
    await shot('request went through after a silent refresh');
  });
});
