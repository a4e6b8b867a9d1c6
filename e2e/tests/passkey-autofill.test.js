// The username field's passkey autofill (a conditional WebAuthn request on load, aborted by
// the explicit button and on leaving) and the passkey offer after a sign-in without one.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { expectPath, expectText, waitUntil } from '../lib/harness.js';
import { useBrowser } from '../lib/fixtures.js';
import { expectMainPage, logIn } from '../lib/flows.js';
import { addAuthenticator, recordWebauthn } from '../lib/signin.js';

const { withPage, withSignedIn } = useBrowser();

test('passkey autofill: a conditional request on load, aborted by the button and on leaving', async (t) => {
  await withPage(t, async ({ page, shot }) => {
    const { cdp, authenticatorId } = await addAuthenticator(page);
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
  await withSignedIn(t, 'offer', [''], async (person, { page, shot }) => {
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

