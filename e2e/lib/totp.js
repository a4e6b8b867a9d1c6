// RFC 6238 (SHA-1, 6 digits, 30 s) as an authenticator app computes it, codes the server
// has not seen yet, and TOTP turned on through the API for a test's preconditions.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { BASE_URL, waitUntil } from './harness.js';

function base32Decode(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const i = alphabet.indexOf(c);
    assert.ok(i >= 0, `not base32: ${c}`);
    value = ((value << 5) | i) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export const stepNow = () => Math.floor(Date.now() / 1000 / 30);

export function totp(secret, step = stepNow()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(n).padStart(6, '0');
}

/**
 * The codes of one account's `secret`, each of a time step the server has not taken yet (it
 * takes each step's code once, with one step of skew); `usedStep` is the last step already
 * used (the enabling code's). `fresh()` waits for the clock, at most one step.
 */
export function totpCodes(secret, usedStep = 0) {
  let lastStep = usedStep;
  return {
    secret,
    async fresh() {
      await waitUntil(() => stepNow() + 1 > lastStep, 'an unused TOTP step', { timeout: 35_000, every: 250 });
      lastStep = Math.max(stepNow(), lastStep + 1);
      return totp(secret, lastStep);
    },
  };
}

async function call(method, pathname, body, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${BASE_URL}${pathname}`, { method, headers, body: JSON.stringify(body ?? {}) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${pathname} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Turns TOTP on for `person` through the API; returns the secret, the step whose code
 * enabled it and the recovery codes. */
export async function enableTotpViaApi(person) {
  const { access_token: token } = await call('POST', '/api/login', {
    username: person.username,
    password: person.password,
  });
  const { secret } = await call('POST', '/api/mfa/totp/setup', { password: person.password }, token);
  const step = stepNow();
  const { recovery_codes: recoveryCodes } = await call('POST', '/api/mfa/totp/enable', { code: totp(secret, step) }, token);
  await call('POST', '/api/logout', {}, token);
  return { secret, step, recoveryCodes };
}
