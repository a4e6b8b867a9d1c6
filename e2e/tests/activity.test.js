// The activity page in ko and en, and "this wasn't me": the page alone, and the journey from
// a new-sign-in alert mail to the reset form.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectPath, expectText, waitUntil, watchMail } from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import { signIn } from '../lib/flows.js';
import { LOCALE, TEXT } from '../lib/signin.js';

const { openPage, withPage } = useBrowser();

for (const lang of ['ko', 'en']) {
  test(`activity page (${lang}): sign-ins in sentences, failed attempts grouped, this session marked`, async (t) => {
    const person = await registeredPerson(`act${lang}`);
    await withPage(
      t,
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
  await withPage(t, async ({ page, shot }) => {
    await page.goto('/security/not-me');
    await expectText(page.getByRole('heading', { level: 1 }), '내가 로그인하지 않았습니다');
    await expectText(page.locator('#not-me-invalid'), '링크가 올바르지 않습니다');
    await shot('not-me without token');
    // A fresh load (a fragment change alone keeps the page as it is).
    await page.goto('/login');
    await page.goto('/security/not-me#token=forged-token-value');
    await waitUntil(async () => !new URL(page.url()).hash, 'the token taken out of the address');
    await shot('not-me with a token');
    await page.locator('#not-me-submit').click();
    await expectText(page.getByRole('alert'), '이 링크는 만료되었거나 이미 사용되었습니다');
    await shot('forged token refused');
  });
});

test('"this wasn\'t me" journey: a sign-in from a new network mails an alert; its link ends every session and leads into the reset', async (t) => {
  const person = await registeredPerson('notme');
  // The owner's usual browser, then someone else from another network.
  const owner = await openPage({ name: `owner ${t.name}`, diagnostic: (m) => t.diagnostic(m) });
  const stranger = await openPage(
    { name: `stranger ${t.name}`, diagnostic: (m) => t.diagnostic(m) },
    { extraHTTPHeaders: { 'X-Forwarded-For': '203.0.113.9' } },
  );
  try {
    await signIn(owner.page, owner.shot, person);
    const mail = await watchMail(person.email);
    await signIn(stranger.page, stranger.shot, person);
    const alert = await mail.next(/새 기기에서 로그인/);
    const link = /https?:\/\/\S+\/security\/not-me#token=[\w-]+/.exec(alert.text ?? '');
    assert.ok(link, `a not-me link in the alert: ${alert.text}`);

    // The owner opens the link: nothing happens until the button is pressed.
    const { page, shot } = owner;
    await page.goto(new URL(link[0]).pathname + new URL(link[0]).hash);
    await expectText(page.getByRole('heading', { level: 1 }), '내가 로그인하지 않았습니다');
    await waitUntil(async () => !new URL(page.url()).hash, 'the token taken out of the address');
    await shot('not-me page');
    const resetMail = await watchMail(person.email);
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
    // The reset code went out unless the signup mail's cooldown still ran (a test is quicker
    // than a person): "resend" then gets one, as the page offers.
    await page.locator('#email').fill(person.email);
    if ((await resetMail.count()) === 0) {
      await page.locator('#reset-send').click();
      await page.getByRole('timer').or(page.getByRole('alert').locator('.banner')).first().waitFor();
      if (await page.getByRole('alert').locator('.banner').count()) {
        await page.waitForFunction(() => !document.querySelector('#reset-send')?.disabled, null, {
          timeout: 30_000,
          polling: 250,
        });
        await page.locator('#reset-send').click();
      }
    }
    const code = await resetMail.code();
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
