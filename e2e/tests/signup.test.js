// Signup, login and the main page in a real Chromium against the real backend, database and
// mail catcher. Every step leaves a screenshot in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BASE_URL,
  assertNoTokenReadable,
  expectPath,
  expectText,
  newPerson,
  trackTokens,
  watchMail,
} from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import {
  expectMainPage,
  fieldError,
  fillSignup,
  logIn,
  requestCode,
  signIn,
  signUpAndLogIn,
  signupForm,
  submitCode,
} from '../lib/flows.js';

const { withPage } = useBrowser();

test('happy path: signup, mailed code, register, login, main page; no token readable by script', async (t) => {
  await withPage(t, async ({ page, shot }) => {
    const tracked = trackTokens(page);
    const person = newPerson('happy');
    await signUpAndLogIn(page, shot, person);
    assert.equal(await page.locator('html').getAttribute('lang'), 'ko');
    assert.match(await page.title(), /내 정보/);
    // The login answer carried no refresh token (it went to an HttpOnly cookie) …
    assert.equal(tracked.logins.length, 1);
    assert.equal(tracked.logins[0].refresh_token, undefined, 'no refresh token in the body');
    const cookie = tracked.cookies.find((c) => c.includes('emailauth_refresh='));
    assert.ok(cookie, 'the refresh token came as a cookie');
    for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/api/token']) {
      assert.ok(cookie.includes(attr), `${attr} in ${cookie}`);
    }
    // … and neither it nor the access token is anywhere page script can read.
    await assertNoTokenReadable(page, tracked.tokens);
    const cookies = await page.context().cookies();
    const refresh = cookies.find((c) => c.name === 'emailauth_refresh');
    assert.ok(refresh?.httpOnly, 'the refresh cookie is HttpOnly');
    assert.equal(refresh.sameSite, 'Strict');
  });
});

test('a wrong code shows the error and the attempts left', async (t) => {
  await withPage(t, async ({ page, shot }) => {
    const person = newPerson('wrong');
    await fillSignup(page, shot, person);
    const code = await requestCode(page, shot, person);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await submitCode(page, shot, wrong, 'wrong code entered');

    const error = fieldError(page, 'code');
    const text = await expectText(error, '인증 코드가 일치하지 않습니다');
    assert.match(text, /남은 시도: 4회/, `attempts left in ${JSON.stringify(text)}`);
    assert.equal(await signupForm(page).code.getAttribute('aria-invalid'), 'true');
    await expectPath(page, '/signup');
    await shot('wrong code error');

    // The right code still works afterwards.
    await submitCode(page, shot, code, 'right code entered');
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '가입이 완료되었습니다');
    await shot('registered after a wrong try');
  });
});

test('a taken username shows the error next to the field', async (t) => {
  const first = await registeredPerson('taken');
  await withPage(t, async ({ page, shot }) => {
    const second = { ...newPerson('other'), username: first.username };
    const form = await fillSignup(page, shot, second);
    await form.verify.click();

    const text = await expectText(fieldError(page, 'username'), '이미 사용 중인 아이디입니다.');
    assert.ok(text);
    assert.equal(await form.username.getAttribute('aria-invalid'), 'true');
    // The error is tied to its field for screen readers.
    const describedBy = (await form.username.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(/\s+/).includes('username-error'), describedBy);
    // No code was sent, so no code field.
    assert.equal(await form.code.count(), 0, 'no code field after a refused request');
    await shot('username taken error');
  });
});

test('a reload and a second tab keep the session; log-out returns to login and / then goes to login', async (t) => {
  const person = await registeredPerson('session');
  await withPage(t, async ({ page, shot }) => {
    const tracked = trackTokens(page);
    await page.goto('/');
    await expectPath(page, '/login');
    await shot('unauthenticated main redirects to login');
    await logIn(page, shot, person);

    await page.reload();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('main page after reload');
    // The reload had no token in memory: it refreshed through the cookie.
    assert.ok(tracked.tokens.length >= 2, 'a refresh gave the reloaded page its token');
    await assertNoTokenReadable(page, tracked.tokens);

    // A second tab of the same browser is logged in too.
    const second = await page.context().newPage();
    await second.goto('/');
    await expectPath(second, '/');
    await expectMainPage(second, person);
    await second.close();
    // And the first tab goes on working after the second one refreshed (two tabs share the
    // cookie; the server's grace period covers a race).
    await page.reload();
    await expectMainPage(page, person);

    await page.getByRole('button', { name: '로그아웃', exact: true }).click();
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '로그아웃되었습니다.');
    await shot('logged out');
    await assertNoTokenReadable(page, tracked.tokens);

    await page.goto('/');
    await expectPath(page, '/login');
    await expectText(page.getByRole('heading', { level: 1 }), '로그인');
    await shot('main page after log-out goes to login');
  });
});

test('no response the browser receives contains the verification code', async (t) => {
  await withPage(t, async ({ page, shot }) => {
    const bodies = [];
    const reads = [];
    page.on('response', (res) => {
      const url = new URL(res.url());
      const isApi = url.pathname.startsWith('/api/');
      const isDocument = res.request().resourceType() === 'document';
      if (!isApi && !isDocument) return;
      reads.push(
        res
          .body()
          .then((buf) => bodies.push({ url: url.pathname, status: res.status(), text: buf.toString('utf8') }))
          .catch(() => bodies.push({ url: url.pathname, status: res.status(), text: null })),
      );
    });

    const person = newPerson('nocode');
    const code = await signUpAndLogIn(page, shot, person);
    await page.reload();
    await expectMainPage(page, person);
    await Promise.all(reads);

    const api = bodies.filter((b) => b.url.startsWith('/api/'));
    const seen = new Set(api.map((b) => b.url));
    for (const p of ['/api/email_auth', '/api/register', '/api/login', '/api/nick']) {
      assert.ok(seen.has(p), `a response from ${p} was recorded (saw ${[...seen].join(', ')})`);
    }
    for (const b of bodies) {
      assert.notEqual(b.text, null, `body of ${b.url} (${b.status}) could be read`);
      assert.ok(!b.text.includes(code), `the response of ${b.url} (${b.status}) contains the code`);
    }
    // Nor does the page keep it anywhere once the account exists.
    const kept = await page.evaluate(() =>
      JSON.stringify([{ ...sessionStorage }, { ...localStorage }, document.cookie]),
    );
    assert.ok(!kept.includes(code), 'browser storage holds no code');
    t.diagnostic(`checked ${bodies.length} response bodies (${api.length} from /api/)`);
  });
});

test('English browser at 360 px: the whole journey in English, no sideways scrolling', async (t) => {
  const viewport = { width: 360, height: 780 };
  await withPage(
    t,
    async ({ page, shot }) => {
      const noOverflow = async (where) => {
        const width = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= viewport.width, `${where}: page is ${width}px wide at ${viewport.width}px`);
      };
      const person = newPerson('en');
      await page.goto('/signup');
      await expectText(page.getByRole('heading', { level: 1 }), 'Create an account');
      assert.equal(await page.locator('html').getAttribute('lang'), 'en');
      await page.getByLabel('Username', { exact: true }).fill(person.username);
      await page.getByLabel('Password', { exact: true }).fill(person.password);
      await page.getByLabel('Confirm password', { exact: true }).fill(person.password);
      await page.getByLabel('Nickname', { exact: true }).fill(person.nickname);
      await page.getByLabel('Email', { exact: true }).fill(person.email);
      await noOverflow('signup');
      await shot('signup filled');

      const mail = await watchMail(person.email);
      await page.getByRole('button', { name: 'Verify email', exact: true }).click();
      await expectText(page.getByRole('status'), `We sent a code to ${person.email}`);
      const code = await mail.code();
      await page.getByLabel('Verification code', { exact: true }).fill(code);
      await noOverflow('code step');
      await shot('code entered');
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();

      await expectPath(page, '/login');
      await expectText(page.getByRole('status'), 'Your account is ready. Please log in.');
      // Keyboard only: type, Tab to the password, Enter submits.
      await page.getByLabel('Username', { exact: true }).focus();
      await page.keyboard.type(person.username);
      await page.keyboard.press('Tab');
      await page.keyboard.type(person.password);
      await noOverflow('login');
      await shot('login typed with the keyboard');
      await page.keyboard.press('Enter');

      await expectPath(page, '/');
      await expectText(page.getByRole('heading', { level: 1 }), `Welcome, ${person.nickname}`);
      await expectText(page.locator('#profile-email'), person.email);
      await noOverflow('main');
      await shot('main page');
    },
    { locale: 'en-US', viewport },
  );
});

test('a session ended elsewhere sends the person back to login with a message', async (t) => {
  const person = await registeredPerson('rejected');
  await withPage(t, async ({ page, shot }) => {
    const tracked = trackTokens(page);
    await signIn(page, shot, person);
    // The session is ended from outside the tab (as from another device).
    const res = await fetch(`${BASE_URL}/api/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tracked.latest()}` },
    });
    assert.equal(res.status, 204);
    // The next request is refused, the refresh too: back to login, with a message.
    await page.getByRole('button', { name: '모든 기기에서 로그아웃', exact: true }).click();
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '로그인이 만료되었습니다. 다시 로그인해 주세요.');
    await assertNoTokenReadable(page, tracked.tokens);
    await shot('ended session back on login');
  });
});
