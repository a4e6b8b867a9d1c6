// Sign-in by an emailed code in ko and en (the code read from the mail catcher), and on a TOTP
// account through the second step. Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectPath, expectText } from '../lib/harness.js';
import { registeredPerson, useBrowser } from '../lib/fixtures.js';
import { expectMainPage } from '../lib/flows.js';
import { LOCALE, TEXT, codeStep } from '../lib/signin.js';
import { enableTotpViaApi, totpCodes } from '../lib/totp.js';

const { withPage } = useBrowser();

for (const lang of ['ko', 'en']) {
  test(`sign in by code (${lang}): mailed code, a wrong one counted, then the main page`, async (t) => {
    const person = await registeredPerson(`code${lang}`);
    await withPage(
      t,
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
  const person = await registeredPerson('codetotp');
  const { secret, step } = await enableTotpViaApi(person);
  await withPage(t, async ({ page, shot }) => {
    await page.goto('/login');
    await codeStep(page, shot, person, 'ko');
    await page.locator('#login-code-submit').click();
    await expectText(page.locator('#mfa-title'), TEXT.ko.mfa);
    await shot('second step after the code');
    // The enabling code was that step's: a fresh one.
    await page.locator('#code').fill(await totpCodes(secret, step).fresh());
    await page.locator('#mfa-submit').click();
    await expectPath(page, '/');
    await expectMainPage(page, person);
    await shot('signed in by code and totp');
  });
});

