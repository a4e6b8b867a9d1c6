// Sign-in by an emailed code (ko and en, the code read from the mail catcher), the same on a
// TOTP account through the second step, the passkey autofill's conditional request, the
// passkey offer after a sign-in, the "this wasn't me" page and the activity page, in a real
// Chromium against the real backend. Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  expectPath,
  expectText,
  launchBrowser,
  openPage,
  waitForMail,
  mailCount,
  newPerson,
  readCode,
  registerViaApi,
  waitUntil,
  withDevices as sharedWithDevices,
} from '../lib/harness.js';
import { expectMainPage, logIn } from '../lib/flows.js';
import { enableTotpViaApi, stepNow, totp } from '../lib/totp.js';

let chromium;
before(async () => {
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
});

const withDevices = (t, devices, body, options) =>
  sharedWithDevices(chromium.browser, t, devices, body, options);

const TEXT = {
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
const LOCALE = { ko: 'ko-KR', en: 'en-US' };

/** On /login: "sign in with a code by email", the address, the mailed code (after the
 * signup mail's cooldown, waited for on the button); stops before pressing "log in". */
async function codeStep(page, shot, person, lang, { wrongFirst = false } = {}) {
  const text = TEXT[lang];
  await expectText(page.getByRole('heading', { level: 1 }), text.login);
  await expectText(page.locator('#login-with-code'), text.byCode);
  await page.locator('#login-with-code').click();
  await page.locator('#email').fill(person.email);
  assert.equal(await page.locator('#email').getAttribute('autocomplete'), 'email');
  await shot('code sign-in form');
  await expectText(page.locator('#login-code-send'), text.send);
  const before = await mailCount(person.email);
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
  const code = await readCode(person.email, { after: before });
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

for (const lang of ['ko', 'en']) {
  test(`sign in by code (${lang}): mailed code, a wrong one counted, then the main page`, async (t) => {
    const person = newPerson(`code${lang}`);
    await registerViaApi(person);
    await withDevices(
      t,
      [''],
      async ({ page, shot }) => {
        await page.goto('/login');
        await codeStep(page, shot, person, lang, { wrongFirst: true });
        await page.locator('#login-code-submit').click();
        await expectPath(page, '/');
        await expectText(page.getByRole('heading', { level: 1 }), TEXT[lang].welcome(person));
        await shot('signed in by code');
      },
      { locale: LOCALE[lang] },
    );
  });
}

test('sign in by code on a TOTP account goes through the second step', async (t) => {
  const person = newPerson('codetotp');
  await registerViaApi(person);
  const secret = await enableTotpViaApi(person);
  await withDevices(t, [''], async ({ page, shot }) => {
    await page.goto('/login');
    await codeStep(page, shot, person, 'ko');
    await page.locator('#login-code-submit').click();
    await expectText(page.locator('#mfa-title'), TEXT.ko.mfa);
    await shot('second step after the code');
    // The enabling code was this step's: the next one.
    await page.locator('#code').fill(totp(secret, stepNow() + 1));
    await page.locator('#mfa-submit').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('signed in by code and totp');
  });
});

/** Records the page's WebAuthn `get` calls: their mediation and whether they were aborted. */
const recordWebauthn = () => {
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

test('passkey autofill: a conditional request on load, aborted by the button and on leaving', async (t) => {
  await withDevices(t, [''], async ({ page, shot }) => {
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
    // A passkey for this site on the authenticator, and no simulated touch: a conditional
    // request waits, as it does in a browser until the person picks the passkey.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId,
      credential: {
        credentialId: randomBytes(16).toString('base64'),
        isResidentCredential: true,
        rpId: 'localhost',
        privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        userHandle: randomBytes(16).toString('base64'),
        signCount: 0,
      },
    });
    await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled: false });
    await page.addInitScript(recordWebauthn);
    await page.goto('/login');
    const username = page.locator('#username');
    assert.equal(await username.getAttribute('autocomplete'), 'username webauthn');
    const calls = () => page.evaluate(() => window.__webauthn);
    await waitUntil(async () => (await calls()).some((c) => c.mediation === 'conditional'), 'a conditional request on load');
    await shot('login with passkey autofill pending');

    // The explicit button aborts it and makes its own (modal) request.
    await page.locator('#passkey-login').click();
    let seen = [];
    await waitUntil(async () => {
      seen = await calls();
      return seen[0].aborted && seen.some((x) => x.mediation === null);
    }, 'the conditional request aborted and a modal one made').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(seen)}`);
    });
    await shot('explicit passkey request waiting');

    // Back on the page, a new conditional request; leaving the page aborts it.
    await page.reload();
    await waitUntil(async () => (await calls()).some((c) => c.mediation === 'conditional'), 'a conditional request after reload');
    await page.getByRole('link', { name: '회원가입', exact: true }).click();
    await expectPath(page, '/signup');
    await waitUntil(async () => {
      seen = await calls();
      return seen.length > 0 && seen.every((c) => c.aborted);
    }, 'the request aborted on leaving').catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(seen)}`);
    });
  });
});

test('the passkey offer: shown after a password sign-in, once, and not after "not now"', async (t) => {
  const person = newPerson('offer');
  await registerViaApi(person);
  await withDevices(t, [''], async ({ page, shot }) => {
    await page.goto('/login');
    await logIn(page, shot, person);
    const offer = page.locator('#passkey-offer');
    await expectText(offer, '패스키를 추가해 보세요');
    await shot('passkey offer');
    // Once: away and back, it is gone (the sign-in's offer was shown).
    await page.locator('#nav-devices').click();
    await expectPath(page, '/devices');
    await page.locator('#nav-overview').click();
    await expectMainPage(page, person);
    assert.equal(await offer.count(), 0, 'not offered again in the same sign-in');

    // The next sign-in offers it again; "not now" is remembered.
    await page.getByRole('button', { name: '로그아웃', exact: true }).click();
    await expectPath(page, '/login');
    await logIn(page, shot, person);
    await offer.waitFor();
    await page.locator('#passkey-offer-dismiss').click();
    await waitUntil(async () => (await offer.count()) === 0, 'the offer dismissed');
    await shot('offer dismissed');
    await page.getByRole('button', { name: '로그아웃', exact: true }).click();
    await expectPath(page, '/login');
    await logIn(page, shot, person);
    // Give the passkey list the time the first offer needed to show.
    await page.waitForResponse((r) => r.url().endsWith('/api/passkeys')).catch(() => {});
    assert.equal(await offer.count(), 0, 'not offered after "not now"');
    await shot('no offer after dismissal');
  });
});

for (const lang of ['ko', 'en']) {
  test(`activity page (${lang}): sign-ins in sentences, failed attempts grouped, this session marked`, async (t) => {
    const person = newPerson(`act${lang}`);
    await registerViaApi(person);
    await withDevices(
      t,
      [''],
      async ({ page, shot }) => {
        // Two wrong passwords, then the right one.
        await page.goto('/login');
        for (let i = 0; i < 2; i += 1) {
          await page.locator('#username').fill(person.username);
          await page.locator('#password').fill('wrong password 123');
          await page.locator('#login-submit').click();
          await page.locator('#password-error').filter({ hasText: /./ }).or(page.getByRole('alert').locator('.banner')).first().waitFor();
          await page.waitForFunction(() => !document.querySelector('#login-submit')?.disabled);
        }
        await page.locator('#password').fill(person.password);
        await page.locator('#login-submit').click();
        await expectPath(page, '/');
        await page.locator('#nav-activity').click();
        await expectPath(page, '/activity');
        await expectText(page.getByRole('heading', { level: 1 }), TEXT[lang].activity);
        const list = page.locator('#activity-list');
        const mine = list.locator('li.event[data-kind="signed_in"][data-current="true"]');
        await expectText(mine, TEXT[lang].signedIn);
        await expectText(mine.locator('.badge'), TEXT[lang].thisSession);
        await expectText(mine.locator('.event-ip'), '127.0.0.1');
        assert.equal(await mine.locator('button.not-me').count(), 0, 'no "not me" on this session');
        await expectText(list.locator('li.event[data-kind="sign_in_refused"]').first(), TEXT[lang].refused);
        const title = await mine.locator('time').getAttribute('title');
        assert.ok(title && /\d/.test(title), `the exact time on hover: ${title}`);
        await shot('activity');
      },
      { locale: LOCALE[lang] },
    );
  });
}

test('"this wasn\'t me" page: without a token it says so; a forged token is refused', async (t) => {
  await withDevices(t, [''], async ({ page, shot }) => {
    await page.goto('/security/not-me');
    await expectText(page.getByRole('heading', { level: 1 }), '내가 로그인하지 않았습니다');
    await expectText(page.locator('#not-me-invalid'), '링크가 올바르지 않습니다');
    await shot('not-me without token');
    await page.goto('/security/not-me#token=forged-token-value');
    await waitUntil(async () => !new URL(page.url()).hash, 'the token taken out of the address');
    await shot('not-me with a token');
    await page.locator('#not-me-submit').click();
    await expectText(page.getByRole('alert'), '이 링크는 만료되었거나 이미 사용되었습니다');
    await shot('forged token refused');
  });
});

test('"this wasn\'t me" journey: a sign-in from a new network mails an alert; its link ends every session and leads into the reset', async (t) => {
  const person = newPerson('notme');
  await registerViaApi(person);
  // The owner's usual browser, then someone else from another network.
  const owner = await openPage(chromium.browser, { name: `owner ${t.name}`, diagnostic: (m) => t.diagnostic(m) });
  const stranger = await openPage(
    chromium.browser,
    { name: `stranger ${t.name}`, diagnostic: (m) => t.diagnostic(m) },
    { extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.9' } },
  );
  try {
    await owner.page.goto('/login');
    await logIn(owner.page, owner.shot, person);
    const before = await mailCount(person.email);
    await stranger.page.goto('/login');
    await logIn(stranger.page, stranger.shot, person);
    const alert = await waitForMail(person.email, /새 기기에서 로그인/, { after: before });
    const link = /https?:\/\/\S+\/security\/not-me#token=[\w-]+/.exec(alert.text ?? '');
    assert.ok(link, `a not-me link in the alert: ${alert.text}`);

    // The owner opens the link: nothing happens until the button is pressed.
    const { page, shot } = owner;
    await page.goto(new URL(link[0]).pathname + new URL(link[0]).hash);
    await expectText(page.getByRole('heading', { level: 1 }), '내가 로그인하지 않았습니다');
    await waitUntil(async () => !new URL(page.url()).hash, 'the token taken out of the address');
    await shot('not-me page');
    const mailsBefore = await mailCount(person.email);
    await page.locator('#not-me-submit').click();
    await expectText(page.locator('#not-me-done'), /\d+개 기기에서 로그아웃시켰습니다/);
    await shot('every session ended');
    // The stranger's session is over.
    await stranger.page.reload();
    await expectPath(stranger.page, '/login');
    await stranger.shot('stranger sent to login');

    // On into the reset form, with the mailed code.
    await page.locator('#not-me-reset').click();
    await expectPath(page, '/reset');
    await expectText(page.locator('#reset-mailed'), '재설정 코드를 보냈습니다');
    const code = await readCode(person.email, { after: mailsBefore });
    await page.locator('#email').fill(person.email);
    await page.locator('#code').fill(code);
    const fresh = `${person.password} new`;
    await page.locator('#new_password').fill(fresh);
    await page.locator('#new_password_confirm').fill(fresh);
    await shot('reset form filled');
    await page.locator('#reset-submit').click();
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '비밀번호가 변경되었습니다');
    await shot('password reset after not-me');
    // The same link works once.
    await page.goto(new URL(link[0]).pathname + new URL(link[0]).hash);
    await page.locator('#not-me-submit').click();
    await expectText(page.getByRole('alert'), '이 링크는 만료되었거나 이미 사용되었습니다');
    for (const s of [owner, stranger]) {
      assert.deepEqual(s.unexpectedProblems(), [], 'no page errors');
    }
  } catch (err) {
    await owner.shot('failure').catch(() => {});
    await stranger.shot('failure').catch(() => {});
    throw err;
  } finally {
    await owner.close();
    await stranger.close();
  }
});
