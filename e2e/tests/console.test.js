// The admin console (console/, served at /admin on the admin listener only) in a real
// Chromium against the real backend: an operator signs in with an admin API key made by
// `backend admin api-key create` (scripts/e2e.sh), finds an account, ends its sessions (the
// owner's browser, a context of its own, is sent to the login page by its next refresh) and
// disables it (the owner's next sign-in is refused), then reads the audit trail and the
// stats; in Korean and in English. A wrong key is refused with a message.
// Every console page leaves screenshots at 390 px and 1280 px in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  expectPath,
  expectText,
  launchBrowser,
  newPerson,
  registerViaApi,
  scriptReadable,
  withDevices as sharedWithDevices,
} from '../lib/harness.js';

/** The admin listener and a read-write key for it (set by scripts/e2e.sh). */
const ADMIN_URL = (process.env.ADMIN_URL ?? '').replace(/\/$/, '');
const ADMIN_KEY = process.env.ADMIN_KEY ?? '';
/** The access tokens' lifetime the app runs with: the owner's page refreshes before it ends. */
const JWT_TTL_SECS = Number(process.env.E2E_JWT_TTL_SECS ?? 20);

let chromium;
before(async () => {
  assert.ok(ADMIN_URL && ADMIN_KEY.startsWith('adm_'), 'ADMIN_URL and ADMIN_KEY are set (scripts/e2e.sh)');
  chromium = await launchBrowser();
});
after(async () => {
  await chromium?.close();
});

const withDevices = (t, devices, body, options) =>
  sharedWithDevices(chromium.browser, t, devices, body, options);

/** What each language shows: the console's texts (console/src/texts.rs) and the SPA's. */
const TEXTS = {
  ko: {
    locale: 'ko-KR',
    title: '관리 콘솔',
    badKey: '키가 없거나 틀렸거나 폐기되었습니다.',
    active: '사용 중',
    disabled: '사용 중지됨',
    enable: '사용 재개',
    audit: '감사 기록',
    stats: '통계',
    sessionExpired: '로그인이 만료되었습니다. 다시 로그인해 주세요.',
    accountDisabled: '이 계정은 사용이 중지되었습니다. 고객 지원에 문의해 주세요.',
  },
  en: {
    locale: 'en-US',
    title: 'Admin console',
    badKey: 'The key is missing, wrong or revoked.',
    active: 'Active',
    disabled: 'Disabled',
    enable: 'Enable',
    audit: 'Audit trail',
    stats: 'Stats',
    sessionExpired: 'Your session has expired. Please log in again.',
    accountDisabled: 'This account has been disabled. Please contact support.',
  },
};

/** Screenshots of the page as it is, at a phone's width and a desktop's. */
async function shots(page, shot, step) {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await shot(`${step} ${width}`);
  }
}

/** Opens the console, which speaks the browser's language (the context's locale), `lang`. */
async function openConsole(page, lang) {
  await page.goto(`${ADMIN_URL}/admin`);
  await page.locator('#key').waitFor();
  await expectText(page.locator('h1'), TEXTS[lang].title);
  assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
}

/** Fills in the key form and presses its button. */
async function submitKey(page, key) {
  await page.locator('#key').fill(key);
  await page.locator('#sign-in button[type=submit]').click();
}

/** The owner's sign-in form on the SPA (found by id: the labels differ by language). */
async function ownerLogIn(page, person) {
  await page.locator('#username').fill(person.username);
  await page.locator('#password').fill(person.password);
  await page.locator('#login-submit').click();
}

/** The account's id, read from the admin API (to find its rows in the audit trail). */
async function accountId(username) {
  const res = await fetch(`${ADMIN_URL}/admin/api/users?q=${encodeURIComponent(username)}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  assert.equal(res.status, 200);
  const { users } = await res.json();
  const user = users.find((u) => u.username === username);
  assert.ok(user, `${username} is found by the API`);
  return user.id;
}

/** Asks for `button`'s action, checks that it waits for the exact username, and runs it. */
async function confirmByUsername(page, shot, button, username, step) {
  await page.locator(button).click();
  const confirm = page.locator('#confirm');
  await confirm.waitFor();
  assert.ok(await confirm.isDisabled(), 'the action waits for the username');
  await page.locator('#confirm-username').fill(username.slice(0, -1));
  assert.ok(await confirm.isDisabled(), 'a username that is not quite it does not do');
  await page.locator('#confirm-username').fill(username);
  assert.ok(await confirm.isEnabled(), 'the typed username unlocks the action');
  await shots(page, shot, step);
  await confirm.click();
  await page.locator('#confirm').waitFor({ state: 'detached' });
}

test('console: a wrong key is refused with a visible message, in ko and en', async (t) => {
  await withDevices(t, [''], async ({ page, shot }) => {
    await openConsole(page, 'ko');
    await shots(page, shot, 'sign-in ko');
    for (const lang of ['ko', 'en']) {
      // The header's button switches the language (and the page's lang).
      if (lang === 'en') await page.locator('#lang').click();
      await expectText(page.locator('h1'), TEXTS[lang].title);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      await submitKey(page, `adm_${'0'.repeat(64)}`);
      await expectText(page.locator('#sign-in .error'), TEXTS[lang].badKey);
      // Still on the key form: nothing behind it is shown.
      assert.equal(await page.locator('#search').count(), 0, 'no search without a good key');
      assert.equal(await page.locator('#sign-out').count(), 0);
      await shots(page, shot, `wrong key ${lang}`);
    }
  });
});

for (const lang of ['ko', 'en']) {
  const text = TEXTS[lang];
  test(`console ${lang}: sign in with a key, find an account, end its sessions, disable it`, async (t) => {
    const person = newPerson(`con${lang}`);
    await registerViaApi(person);
    await withDevices(
      t,
      ['owner', 'operator'],
      async (owner, admin) => {
        // The owner signs in on the app, in a browser of their own.
        await owner.page.goto('/login');
        await ownerLogIn(owner.page, person);
        await expectPath(owner.page, '/');
        await expectText(owner.page.locator('#profile-username'), person.username);
        await owner.shot('owner signed in');

        // The operator signs in on the console with the key.
        const { page, shot } = admin;
        await openConsole(page, lang);
        await submitKey(page, ADMIN_KEY);
        await page.locator('#search').waitFor();
        const readable = JSON.stringify(await scriptReadable(page));
        assert.ok(!readable.includes(ADMIN_KEY.slice(4)), `the key is kept in memory only: ${readable}`);
        await shots(page, shot, 'signed in');

        // Finds the account by the start of its username and opens it.
        await page.locator('#q').fill(person.username.slice(0, -1));
        await page.locator('#search button[type=submit]').click();
        const row = page.locator('#results tr', { hasText: person.username });
        await expectText(row, person.email);
        await shots(page, shot, 'search results');
        await row.click();
        await expectText(page.locator('#account h2'), person.username);
        await expectText(page.locator('#status'), new RegExp(`^${text.active}$`));
        await expectText(page.locator('#live'), /^[1-9]\d*$/);
        assert.ok((await page.locator('#sessions tr').count()) >= 1, 'the owner’s session is listed');
        await shots(page, shot, 'account');

        // Ends its sessions: the owner's page is sent to login by its next refresh, which is
        // due before its access token (JWT_TTL_SECS) expires.
        await confirmByUsername(page, shot, '#endsessions', person.username, 'end sessions confirm');
        await expectText(page.locator('#live'), /^0$/);
        assert.equal(await page.locator('#sessions tr').count(), 0, 'no session is listed');
        await shots(page, shot, 'sessions ended');
        await expectPath(owner.page, '/login', { timeout: (JWT_TTL_SECS + 10) * 1000 });
        await expectText(owner.page.getByRole('status'), text.sessionExpired);
        await owner.shot('owner sent to login');

        // Disables it: the owner's sign-in is refused with the account_disabled message.
        await confirmByUsername(page, shot, '#disable', person.username, 'disable confirm');
        await expectText(page.locator('#status'), new RegExp(`^${text.disabled}$`));
        await expectText(page.locator('#disable'), text.enable);
        await shots(page, shot, 'disabled');
        await ownerLogIn(owner.page, person);
        await expectText(owner.page.getByRole('alert'), text.accountDisabled);
        await expectPath(owner.page, '/login');
        await owner.shot('owner sign-in refused');

        // The audit trail shows both actions on this account, by the key, done.
        const id = await accountId(person.username);
        await page.locator('nav button', { hasText: text.audit }).click();
        for (const action of ['end_sessions', 'disable']) {
          const entry = page.locator('#audit tr', { hasText: id }).filter({ hasText: action });
          await entry.first().waitFor();
          assert.equal(await entry.count(), 1, `one ${action} row for the account`);
          const cells = await entry.locator('td').allTextContents();
          assert.deepEqual(cells.slice(1, 5), ['e2e', action, id, 'done'], `the ${action} row`);
        }
        await shots(page, shot, 'audit trail');

        // The stats: 30 days of sign-ups and sign-ins drawn in the page.
        await page.locator('nav button', { hasText: text.stats }).click();
        await page.locator('#chart rect').first().waitFor({ state: 'attached' });
        assert.equal(await page.locator('#chart rect').count(), 60, 'two bars a day for 30 days');
        await shots(page, shot, 'stats');

        // Signing out forgets the key.
        await page.locator('#sign-out').click();
        await page.locator('#key').waitFor();
        assert.equal(await page.locator('#key').inputValue(), '');
      },
      { locale: text.locale },
    );
  });
}
