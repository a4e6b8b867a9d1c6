// Sign-in by an emailed code in ko and en (the code read from the mail catcher), and on a TOTP
// account through the second step. Screenshots in e2e/artifacts/<test>/.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  expectPath,
  expectText,
  launchBrowser,
  mailCount,
  newPerson,
  openPage,
  readCode,
  registerViaApi,
  waitForMail,
  waitUntil,
  withDevices as sharedWithDevices,
} from '../lib/harness.js';
import { expectMainPage, logIn } from '../lib/flows.js';
import { LOCALE, TEXT, codeStep, recordWebauthn } from '../lib/signin.js';
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

