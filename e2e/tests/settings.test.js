// Account settings in a real Chromium against the real backend, database and mail catcher:
// change the password (other devices are logged out, this one stays), change the email with
// a code mailed to the new address, delete the account. Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_URL, expectPath, expectText, waitUntil, watchMail } from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import { expectMainPage, fieldError, signIn } from '../lib/flows.js';

const { withPage, withSignedIn } = useBrowser();

/** From the main page to one of the settings forms, through the links a person would use. */
async function openSettings(page, shot, which, heading) {
  await page.locator('#settings-link').click();
  await expectPath(page, '/settings');
  await expectText(page.getByRole('heading', { level: 1 }), '계정 설정');
  await page.locator(`#settings-${which}`).click();
  await expectPath(page, `/settings/${which}`);
  await expectText(page.getByRole('heading', { level: 1 }), heading);
  await shot(`settings ${which}`);
}

const loginAnswer = async (username, password) =>
  (
    await fetch(`${BASE_URL}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    })
  ).status;

test('change password: a wrong current one is refused; then other devices are logged out, this one stays', async (t) => {
  // B signs in first, so that A's password change logs out a device that was there before.
  await withSignedIn(t, 'pwchange', ['device B', 'device A'], async (person, b, a) => {
    await openSettings(a.page, a.shot, 'password', '비밀번호 변경');
    const page = a.page;
    const newPassword = 'a fresh passphrase 42';
    await page.getByLabel('현재 비밀번호', { exact: true }).fill('not my password');
    await page.getByLabel('새 비밀번호', { exact: true }).fill(newPassword);
    await page.getByLabel('새 비밀번호 확인', { exact: true }).fill(newPassword);
    await page.locator('#password-change-submit').click();
    await expectText(fieldError(page, 'current_password'), '올바르지 않습니다');
    await a.shot('wrong current password');

    const mail = await watchMail(person.email);
    await page.getByLabel('현재 비밀번호', { exact: true }).fill(person.password);
    await page.locator('#password-change-submit').click();
    await expectPath(page, '/');
    await expectText(page.getByRole('status'), '비밀번호를 바꿨습니다');
    await expectMainPage(page, person);
    await a.shot('password changed, still signed in');

    // Device B was logged out; the owner is told by mail; only the new password works.
    await b.page.reload();
    await expectPath(b.page, '/login');
    await b.shot('other device logged out');
    await mail.next(/비밀번호/);
    assert.equal(await loginAnswer(person.username, person.password), 401);
    assert.equal(await loginAnswer(person.username, newPassword), 200);
  });
});

test('change email: the code goes to the new address, the old one is told', async (t) => {
  await withSignedIn(t, 'emchange', [''], async (person, { page, shot }) => {
    const newEmail = `new.${person.email}`;
    await openSettings(page, shot, 'email', '이메일 변경');
    await expectText(page.locator('#current-email'), person.email);
    const oldMail = await watchMail(person.email);
    const newMail = await watchMail(newEmail);
    await page.getByLabel('새 이메일', { exact: true }).fill(newEmail);
    await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
    await page.locator('#email-change-send').click();
    await expectText(page.getByRole('status'), `${newEmail}(으)로 인증 코드를 보냈습니다`);
    await shot('code sent to the new address');
    const code = await newMail.code();
    assert.equal(await oldMail.count(), 0, 'no code went to the old address');
    await page.getByLabel('인증 코드', { exact: true }).fill(code);
    await page.locator('#email-change-submit').click();
    await expectPath(page, '/');
    await expectText(page.getByRole('status'), '이메일 주소를 바꿨습니다');
    await expectMainPage(page, { ...person, email: newEmail });
    await shot('email changed');
    const notice = await oldMail.next(/이메일/);
    assert.ok(notice.text.includes('***@'), `the new address is masked: ${notice.text}`);
  });
});

test('delete account: named, confirmed by username and password; the names are free again', async (t) => {
  const person = await registeredPerson('delete');
  await withPage(t, async ({ page, shot }) => {
    await signIn(page, shot, person);
    await openSettings(page, shot, 'delete', '계정 삭제');
    await expectText(page.locator('#delete-warning'), person.username);
    // The wrong username stops it before anything is sent.
    await page.getByLabel('아이디 다시 입력', { exact: true }).fill('someone_else');
    await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
    await page.locator('#delete-submit').click();
    await expectText(fieldError(page, 'confirm_username'), '이 계정의 아이디와 다릅니다.');
    // A wrong password is refused by the server.
    await page.getByLabel('아이디 다시 입력', { exact: true }).fill(person.username);
    await page.getByLabel('비밀번호', { exact: true }).fill('not my password');
    await page.locator('#delete-submit').click();
    await expectText(fieldError(page, 'password'), '올바르지 않습니다');
    await shot('refusals');

    const mail = await watchMail(person.email);
    await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
    await page.locator('#delete-submit').click();
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '계정을 삭제했습니다');
    await shot('deleted');
    await mail.next(/계정/);
    assert.equal(await loginAnswer(person.username, person.password), 401);
    // The main page no longer has a session.
    await page.goto('/');
    await expectPath(page, '/login');
  });
  // Username, nickname and email can sign up again (once the address's resend cooldown from
  // the first signup, 15 s on the e2e server, is over: wait for the server to accept).
  const { username, nickname, email, password } = person;
  const mail = await watchMail(email);
  let status = 0;
  await waitUntil(
    async () => {
      const res = await fetch(`${BASE_URL}/api/email_auth`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, nickname, email, locale: 'ko' }),
      });
      status = res.status;
      return status !== 429;
    },
    'the signup code request to be accepted',
    { timeout: 30_000, every: 1_000 },
  );
  assert.equal(status, 202, 'the freed names and address can sign up');
  const code = await mail.code();
  const res = await fetch(`${BASE_URL}/api/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, nickname, email, code }),
  });
  assert.equal(res.status, 201);
  assert.equal(await loginAnswer(username, password), 200);
});
