// What most tests start from: the file's browser, a person with an account, and that person
// signed in on one or more devices.

import { after, before } from 'node:test';
import { launchBrowser, newPerson, openPage, registerViaApi, withDevices } from './harness.js';
import { signIn } from './flows.js';

/** A new person with an account, created through the API. */
export async function registeredPerson(tag) {
  const person = newPerson(tag);
  await registerViaApi(person);
  return person;
}

/**
 * The browser of a test file: launched before its first test and closed after its last, with
 * the harness's page helpers bound to it. `withPage` is `withDevices` with one unnamed
 * device; `withSignedIn(t, tag, devices, body)` registers a person, signs them in on each
 * device in the order named and calls `body(person, ...devices)`.
 */
export function useBrowser() {
  let chromium;
  before(async () => {
    chromium = await launchBrowser();
  });
  after(async () => {
    await chromium?.close();
  });
  const onDevices = (t, devices, body, options) => withDevices(chromium.browser, t, devices, body, options);
  return {
    openPage: (t, options) => openPage(chromium.browser, t, options),
    withDevices: onDevices,
    withPage: (t, body, options) => onDevices(t, [''], body, options),
    async withSignedIn(t, tag, devices, body, options) {
      const person = await registeredPerson(tag);
      await onDevices(
        t,
        devices,
        async (...sessions) => {
          for (const s of sessions) await signIn(s.page, s.shot, person);
          await body(person, ...sessions);
        },
        options,
      );
    },
  };
}
