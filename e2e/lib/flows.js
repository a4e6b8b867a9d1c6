// The steps a person takes through the app, in Korean (the default language), each followed
// by a screenshot.

import assert from 'node:assert/strict';
import { expectPath, expectText, watchMail } from './harness.js';

/** The signup form's controls, found the way a person finds them: by their labels. */
export function signupForm(page) {
  return {
    username: page.getByLabel('아이디', { exact: true }),
    password: page.getByLabel('비밀번호', { exact: true }),
    passwordConfirm: page.getByLabel('비밀번호 확인', { exact: true }),
    nickname: page.getByLabel('닉네임', { exact: true }),
    email: page.getByLabel('이메일', { exact: true }),
    code: page.getByLabel('인증 코드', { exact: true }),
    verify: page.getByRole('button', { name: '이메일 인증', exact: true }),
    submit: page.getByRole('button', { name: '회원가입', exact: true }),
  };
}

/** The text shown next to a field (its `aria-live` error line). */
export const fieldError = (page, name) => page.locator(`#${name}-error`);

/** Opens /signup and fills in everything but the code. */
export async function fillSignup(page, shot, person) {
  await page.goto('/signup');
  const form = signupForm(page);
  await expectText(page.getByRole('heading', { level: 1 }), '회원가입');
  await shot('signup page');

  await form.username.fill(person.username);
  await form.password.fill(person.password);
  await form.passwordConfirm.fill(person.password);
  await form.nickname.fill(person.nickname);
  await form.email.fill(person.email);
  // The inputs carry the DTO field names and the autocomplete hints password managers need.
  assert.equal(await form.username.getAttribute('name'), 'username');
  assert.equal(await form.password.getAttribute('autocomplete'), 'new-password');
  assert.equal(await form.email.getAttribute('name'), 'email');
  await shot('signup filled');
  return form;
}

/**
 * Presses "이메일 인증", waits for the code field and the "code sent" notice, and returns the
 * code read from the mail.
 */
export async function requestCode(page, shot, person) {
  const form = signupForm(page);
  const mail = await watchMail(person.email);
  await form.verify.click();
  await form.code.waitFor({ state: 'visible' });
  assert.equal(await form.code.getAttribute('name'), 'code');
  assert.equal(await form.code.getAttribute('autocomplete'), 'one-time-code');
  await expectText(page.getByRole('status'), `${person.email}(으)로 인증 코드를 보냈습니다`);
  await expectText(page.getByRole('timer'), /남은 시간 \d+:\d\d/);
  // The button now counts down the resend cooldown and stays disabled meanwhile.
  const resend = page.locator('#verify-email');
  await expectText(resend, /다시 보내기 \(\d+초\)/);
  assert.equal(await resend.isDisabled(), true, 'resend button is disabled during the cooldown');
  await shot('code requested');
  return mail.code();
}

/** Types `code` and presses "회원가입". */
export async function submitCode(page, shot, code, step = 'code entered') {
  const form = signupForm(page);
  await form.code.fill(code);
  await shot(step);
  await form.submit.click();
}

/** Logs in on /login (the page must be open) and waits for the main page's greeting. */
export async function logIn(page, shot, person) {
  await expectText(page.getByRole('heading', { level: 1 }), '로그인');
  await page.getByLabel('아이디', { exact: true }).fill(person.username);
  await page.getByLabel('비밀번호', { exact: true }).fill(person.password);
  await shot('login filled');
  await page.getByRole('button', { name: '로그인', exact: true }).click();
  await expectPath(page, '/');
  await expectMainPage(page, person);
  await shot('main page');
}

/** Opens /login and logs in: the start of every test about a signed-in person. */
export async function signIn(page, shot, person) {
  await page.goto('/login');
  await logIn(page, shot, person);
}

/** The main page greets the person and shows their account. */
export async function expectMainPage(page, person) {
  await expectText(page.getByRole('heading', { level: 1 }), `${person.nickname}님 환영합니다`);
  await expectText(page.locator('#profile-username'), person.username);
  await expectText(page.locator('#profile-email'), person.email);
  await expectText(page.locator('#profile-nickname'), person.nickname);
}

/** The whole journey: signup → mailed code → register → login notice → log in → main page. */
export async function signUpAndLogIn(page, shot, person) {
  await fillSignup(page, shot, person);
  const code = await requestCode(page, shot, person);
  assert.match(code, /^\d{6}$/);
  await submitCode(page, shot, code);
  await expectPath(page, '/login');
  await expectText(page.getByRole('status'), '가입이 완료되었습니다. 로그인해 주세요.');
  await shot('registered, login page with notice');
  await logIn(page, shot, person);
  return code;
}
