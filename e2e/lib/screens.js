// Full-page screenshots of every page at 390 px and 1280 px in one language, for looking at
// (e2e/artifacts/screens-<lang>-<width>/); every screenshot is also an axe-core check
// (harness.js). Each page is checked to have rendered its heading, and no page may log an
// error. screens-ko.test.js and screens-en.test.js run it for their language.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { registeredPerson, useBrowser } from './fixtures.js';
import { expectPath } from './harness.js';
import { LOCALE } from './signin.js';

const PUBLIC = ['/login', '/signup', '/reset', '/reset?sent=1', '/security/not-me#token=abc', '/no-such-page'];
const SIGNED_IN = [
  '/',
  '/devices',
  '/activity',
  '/settings',
  '/settings/password',
  '/settings/email',
  '/settings/delete',
  '/settings/security',
  '/settings/security/recovery',
  '/settings/security/disable',
];

/** The screens tests of `lang` (`ko` or `en`), one per width. */
export function screens(lang) {
  const { withPage } = useBrowser();
  for (const width of [390, 1280]) {
    test(`screens ${lang} ${width}`, async (t) => {
      const person = await registeredPerson(`scr${lang}${width}`);
      await withPage(
        t,
        async ({ page, shot }) => {
          const visit = async (path, name) => {
            await page.goto(path);
            await page.locator('h1').first().waitFor();
            // Wait for what loads after the heading (profile, lists).
            await page.waitForLoadState('networkidle').catch(() => {});
            await shot(name ?? path);
          };
          for (const path of PUBLIC) await visit(path);
          await page.goto('/login');
          await page.locator('#login-with-code').click();
          await shot('login by code');
          await page.goto('/login');
          await page.locator('#username').fill(person.username);
          await page.locator('#password').fill(person.password);
          await page.locator('#login-submit').click();
          await expectPath(page, '/');
          await page.locator('#passkey-offer').waitFor();
          await shot('main with passkey offer');
          for (const path of SIGNED_IN) await visit(path);
          if (width === 390) {
            await page.goto('/activity');
            await page.locator('.menu-toggle').click();
            await page.locator('#account-links.open').waitFor();
            await shot('narrow menu open');
            assert.equal(await page.locator('.menu-toggle').getAttribute('aria-expanded'), 'true');
          }
          // Step-up form for the TOTP setup.
          await page.goto('/settings/security');
          await page.locator('#totp-setup').click();
          await page.locator('#step-up-title').waitFor();
          await shot('security step-up');
        },
        { locale: LOCALE[lang], viewport: { width, height: 900 } },
      );
    });
  }
}
