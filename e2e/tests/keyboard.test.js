// The whole journey with the keyboard only (README): sign up (the mailed code read from the
// mail catcher), log in, the main page — Tab, Shift+Tab, Enter, Space and typing; no click
// and no focus() from the test. Every stop of the focus is checked: the control expected
// there, shown with a visible focus indicator. Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectPath, expectText, newPerson, waitUntil, watchMail } from '../lib/harness.js';
import { useBrowser } from '../lib/fixtures.js';
import { expectMainPage } from '../lib/flows.js';

const { withPage } = useBrowser();

/** The element with the keyboard focus, as a short description, and whether it shows it. */
const focusNow = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { what: 'body', visible: false };
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const ring = outline || style.boxShadow !== 'none';
    const what = el.id ? `#${el.id}` : `${el.tagName.toLowerCase()} "${el.textContent.trim()}"`;
    return { what, visible: ring && el.matches(':focus-visible') };
  });

/** Waits until the focus is on the element `selector` names, and checks it is shown (unless
 * `ring` is false: a heading the page moved the focus to is no control). */
async function expectFocus(page, selector, { ring = true } = {}) {
  let seen = null;
  await waitUntil(
    async () => {
      seen = await focusNow(page);
      return page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
    },
    `the focus on ${selector}`,
    { timeout: 5_000, every: 50 },
  ).catch((e) => {
    throw new Error(`${e.message}; it is on ${seen?.what}`);
  });
  if (ring) assert.ok(seen.visible, `the focus on ${selector} is visible (a focus ring): ${JSON.stringify(seen)}`);
}

/** Presses `key` and expects the focus on `selector` afterwards. */
async function press(page, key, selector) {
  await page.keyboard.press(key);
  await expectFocus(page, selector);
}

test('the whole journey with the keyboard only: sign up, mailed code, log in, main page', async (t) => {
  const person = newPerson('keys');
  await withPage(t, async ({ page, shot }) => {
    await page.goto('/signup');
    await expectText(page.getByRole('heading', { level: 1 }), '회원가입');
    // From the top of the page: the header (home link, the two languages), then the form in
    // the order it reads.
    await press(page, 'Tab', 'a.brand');
    await press(page, 'Tab', '.lang-switch button[lang="ko"]');
    await press(page, 'Tab', '.lang-switch button[lang="en"]');
    await press(page, 'Tab', '#username');
    await page.keyboard.type(person.username);
    await press(page, 'Tab', '#password');
    await page.keyboard.type(person.password);
    await press(page, 'Tab', 'button[aria-controls="password password_confirm"]');
    await press(page, 'Tab', '#password_confirm');
    await page.keyboard.type(person.password);
    await press(page, 'Tab', '#nickname');
    await page.keyboard.type(person.nickname);
    await press(page, 'Tab', '#email');
    await page.keyboard.type(person.email);
    await press(page, 'Tab', '#verify-email');
    await expectText(page.locator('#verify-email'), '이메일 인증');
    await shot('verify email focused');

    // Space presses the button; the focus moves on to the code field that appears.
    const mail = await watchMail(person.email);
    await page.keyboard.press('Space');
    await expectText(page.getByRole('status'), `${person.email}(으)로 인증 코드를 보냈습니다`);
    await expectFocus(page, '#code');
    const code = await mail.code();
    await page.keyboard.type(code);
    await shot('code typed');
    await press(page, 'Tab', '#signup-submit');
    // Back and forth: Shift+Tab returns to the code, Tab to the button again.
    await press(page, 'Shift+Tab', '#code');
    await press(page, 'Tab', '#signup-submit');
    await page.keyboard.press('Enter');

    // The login page says the account is ready and takes the keyboard at the username.
    await expectPath(page, '/login');
    await expectText(page.getByRole('status'), '가입이 완료되었습니다. 로그인해 주세요.');
    await expectFocus(page, '#username');
    await page.keyboard.type(person.username);
    await press(page, 'Tab', '#password');
    await page.keyboard.type(person.password);
    await shot('login typed');
    await page.keyboard.press('Enter');

    // The main page: the focus, gone with the login form, starts at the greeting (a heading,
    // so no ring); Tab goes on into the page, Shift+Tab back into the navigation before it.
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await expectFocus(page, 'h1#welcome', { ring: false });
    await page.locator('#passkey-offer').waitFor();
    await press(page, 'Tab', '#passkey-offer-add');
    await press(page, 'Shift+Tab', '#settings-link');
    await shot('main page reached with the keyboard');
  });
});
