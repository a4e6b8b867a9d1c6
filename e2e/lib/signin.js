// Shared by the sign-in e2e files: the texts they expect in each language, the code step of
// /login, a recorder of the page's WebAuthn calls and Chromium's virtual authenticator.

import assert from 'node:assert/strict';
import { expectText, watchMail } from './harness.js';

export const TEXT = {
  ko: {
    login: '로그인',
    byCode: '이메일 코드로 로그인',
    send: '로그인 코드 받기',
    sent: (email) => `${email}(으)로 가입한 계정이 있으면 로그인 코드를 보냈습니다`,
    timer: /남은 시간 \d+:\d\d/,
    welcome: (p) => `${p.nickname}님 환영합니다`,
    wrong: /인증 코드가 일치하지 않습니다\. 남은 시도: \d회/,
    mfa: '2단계 인증',
    activity: '최근 활동',
    signedIn: '비밀번호로 로그인했습니다',
    byCodeDone: '이메일 코드로 로그인했습니다',
    refused: '로그인에 2번 실패했습니다 (비밀번호)',
    thisSession: '현재 세션',
  },
  en: {
    login: 'Log in',
    byCode: 'Sign in with a code by email',
    send: 'Send sign-in code',
    sent: (email) => `If ${email} belongs to an account, we sent a sign-in code to it`,
    timer: /Code expires in \d+:\d\d/,
    welcome: (p) => `Welcome, ${p.nickname}`,
    wrong: /That code is not correct\. \d attempts? left\./,
    mfa: 'Two-step login',
    activity: 'Recent activity',
    signedIn: 'Signed in with a password',
    byCodeDone: 'Signed in with a code by email',
    refused: '2 failed sign-ins (a password)',
    thisSession: 'This session',
  },
};
export const LOCALE = { ko: 'ko-KR', en: 'en-US' };

/** On /login: "sign in with a code by email", the address, the mailed code (after the
 * signup mail's cooldown, waited for on the button); stops before pressing "log in". */
export async function codeStep(page, shot, person, lang, { wrongFirst = false } = {}) {
  const text = TEXT[lang];
  await expectText(page.getByRole('heading', { level: 1 }), text.login);
  await expectText(page.locator('#login-with-code'), text.byCode);
  await page.locator('#login-with-code').click();
  await page.locator('#email').fill(person.email);
  assert.equal(await page.locator('#email').getAttribute('autocomplete'), 'email');
  await shot('code sign-in form');
  await expectText(page.locator('#login-code-send'), text.send);
  const mail = await watchMail(person.email);
  await page.locator('#login-code-send').click();
  // The signup mail moments ago started the address's resend cooldown: the page says how long
  // to wait and counts it down on the button; then the code goes.
  await page.getByRole('timer').or(page.getByRole('alert').locator('.banner')).first().waitFor();
  if (await page.getByRole('alert').locator('.banner').count()) {
    await shot('cooldown shared with the signup mail');
    await page.waitForFunction(() => !document.querySelector('#login-code-send')?.disabled, null, {
      timeout: 30_000,
      polling: 250,
    });
    await page.locator('#login-code-send').click();
  }
  await expectText(page.getByRole('status'), text.sent(person.email));
  await expectText(page.getByRole('timer'), text.timer);
  assert.equal(await page.locator('#login-code-send').isDisabled(), true, 'resend waits');
  await shot('code sent');
  const code = await mail.code();
  if (wrongFirst) {
    const wrong = code === '000000' ? '111111' : '000000';
    await page.locator('#code').fill(wrong);
    await page.locator('#login-code-submit').click();
    await expectText(page.locator('#code-error'), text.wrong);
    await shot('wrong code with attempts left');
  }
  await page.locator('#code').fill(code);
  await shot('code entered');
}

/**
 * Chromium's virtual authenticator (CDP WebAuthn domain) for `page`: a built-in one that
 * keeps passkeys and verifies the person, touched automatically unless told otherwise.
 */
export async function addAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Records the page's WebAuthn `get` calls: their mediation and whether they were aborted. */
export const recordWebauthn = () => {
  window.__webauthn = [];
  const original = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = (options) => {
    const call = { mediation: options?.mediation ?? null, aborted: false, settled: null };
    options?.signal?.addEventListener('abort', () => {
      call.aborted = true;
    });
    window.__webauthn.push(call);
    return original(options).then(
      (r) => {
        call.settled = 'credential';
        return r;
      },
      (e) => {
        call.settled = e.name;
        throw e;
      },
    );
  };
};

