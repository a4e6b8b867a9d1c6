// Shared pieces of the browser end-to-end tests: the browser, per-test pages with step
// screenshots (each one also checked with axe-core against WCAG 2.1 A/AA), unique people, the
// mail catcher, and small waiting assertions.
//
// Environment (set by scripts/e2e.sh):
//   BASE_URL       the backend serving the SPA, e.g. http://127.0.0.1:8081
//   MAILDEV_URL    maildev's web/REST address, e.g. http://127.0.0.1:1081
//   ARTIFACTS_DIR  where screenshots go (default e2e/artifacts)
//   CHROMIUM       the browser binary (default /usr/bin/chromium)

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

export const BASE_URL = (process.env.BASE_URL ?? 'http://127.0.0.1:8081').replace(/\/$/, '');
export const MAILDEV_URL = (process.env.MAILDEV_URL ?? 'http://127.0.0.1:1081').replace(/\/$/, '');
const ARTIFACTS_DIR = process.env.ARTIFACTS_DIR ?? path.join(here, '..', 'artifacts');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** How long a single UI expectation may take (the API hashes passwords with argon2id). */
export const UI_TIMEOUT = 15_000;
/** How long to wait for a mail to arrive. */
const MAIL_TIMEOUT = 15_000;

// ---------------------------------------------------------------------------------------
// Accessibility (axe-core)

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** Where the page loads axe from: a same-origin address the test answers itself, so the
 * app's Content-Security-Policy (`script-src 'self'`, no inline scripts) stays as it is. */
const AXE_PATH = '/__e2e__/axe.min.js';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
/** How long one axe run may take (about half a second on a page of this app). */
const AXE_TIMEOUT = 20_000;

/** One line per violation: rule, impact, the elements it names and axe's summary of each. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`)
        .join('\n');
      return `  ${v.id} (${v.impact}): ${v.help} [${v.helpUrl}]\n${nodes}`;
    })
    .join('\n');
}

/**
 * Runs axe-core (WCAG 2.1 A and AA) on the page as it is now and fails with the list of
 * violations. The context must answer AXE_PATH (openPage arranges it).
 */
export async function assertAccessible(page, where) {
  const loaded = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!loaded) await page.addScriptTag({ url: AXE_PATH });
  // axe waits on the page's timers: a page whose clock a test stopped would never answer.
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`axe gave no answer within ${AXE_TIMEOUT} ms at "${where}" (a stopped page clock?)`)),
      AXE_TIMEOUT,
    );
  });
  const run = page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }).then((r) => r.violations),
    AXE_TAGS,
  );
  const violations = await Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  if (violations.length > 0) {
    const url = new URL(page.url());
    const viewport = page.viewportSize();
    const lang = await page.evaluate(() => document.documentElement.lang);
    assert.fail(
      `axe: ${violations.length} WCAG 2.1 AA violation(s) at "${where}" ` +
        `(${url.pathname}${url.search}, ${viewport?.width ?? '?'} px, ${lang}):\n${formatViolations(violations)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Browser

/**
 * Launches Debian's Chromium headless, with its config, cache and temp files in a fresh
 * folder (removed again by the returned `close`).
 */
export async function launchBrowser() {
  const home = mkdtempSync(path.join(tmpdir(), 'e2e-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    env: { ...process.env, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, TMPDIR: home },
    timeout: 30_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** `Happy path: sign up → log in` → `happy-path-sign-up-log-in`. */
function slug(name) {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/**
 * A fresh browser context (Korean locale, phone-to-desktop sized window) and page for the
 * test `t`, with `shot(step)` saving `artifacts/<test>/<nn>-<step>.png` and then checking
 * the page with axe-core (a violation fails the test), and the page's console errors
 * reported as test diagnostics.
 */
export async function openPage(browser, t, { locale = 'ko-KR', viewport, extraHTTPHeaders } = {}) {
  const context = await browser.newContext({
    baseURL: BASE_URL,
    locale,
    extraHTTPHeaders,
    viewport: viewport ?? { width: 1000, height: 900 },
  });
  context.setDefaultTimeout(UI_TIMEOUT);
  context.setDefaultNavigationTimeout(UI_TIMEOUT);
  // Any origin: the admin console is on a listener of its own (ADMIN_URL).
  await context.route(`**${AXE_PATH}`, (route) =>
    route.fulfill({ body: AXE_SOURCE, contentType: 'text/javascript; charset=utf-8' }),
  );
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error: ${msg.text()}`);
  });

  const dir = path.join(ARTIFACTS_DIR, slug(t.name));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  const shot = async (step) => {
    n += 1;
    const file = path.join(dir, `${String(n).padStart(2, '0')}-${slug(step)}.png`);
    await page.screenshot({ path: file, fullPage: true });
    // The screenshot of a failure shows what went wrong; it needs no verdict of its own.
    if (step !== 'failure') await assertAccessible(page, step);
  };

  // The browser logs every 4xx answer as "Failed to load resource"; the tests provoke some on
  // purpose. Anything else (a Rust panic, an uncaught exception) is a bug.
  const unexpectedProblems = () =>
    problems.filter((p) => !/Failed to load resource: .*status of 4\d\d/.test(p));
  const close = async () => {
    for (const p of problems) t.diagnostic(`browser: ${p}`);
    await context.close().catch(() => {});
  };
  return { context, page, shot, close, problems, unexpectedProblems };
}

// ---------------------------------------------------------------------------------------
// People

let counter = 0;

/** A person nobody has used before: username ≤ 20 chars, Korean nickname, lowercase email. */
export function newPerson(tag) {
  counter += 1;
  const id = `${Date.now().toString(36).slice(-5)}${process.pid.toString(36).slice(-2)}${counter}`;
  return {
    username: `${tag}_${id}`.slice(0, 20),
    password: `Pw-${id}-correct horse`,
    nickname: `테스터 ${id}`.slice(0, 20),
    email: `${tag}.${id}@example.test`.toLowerCase(),
  };
}

// ---------------------------------------------------------------------------------------
// Mail (maildev 3 REST API)

async function mailsTo(address) {
  const url = `${MAILDEV_URL}/api/email?to.address=${encodeURIComponent(address)}`;
  const res = await fetch(url);
  assert.equal(res.status, 200, `maildev answered ${res.status} for ${url}`);
  return res.json();
}

/**
 * The mail to `address` from now on (open it before the step that sends): `code()` waits for
 * the next mail and reads its six-digit code, `next(subject)` waits for one whose subject
 * matches, `count()` says how many came.
 */
export async function watchMail(address) {
  const after = await mailCount(address);
  return {
    code: () => readCode(address, { after }),
    next: (subject) => waitForMail(address, subject, { after }),
    count: async () => (await mailCount(address)) - after,
  };
}

/** How many mails `address` has received so far. */
async function mailCount(address) {
  return (await mailsTo(address)).length;
}

/**
 * Waits for mail number `after + 1` to `address` and reads the six-digit code from its
 * decoded plain-text body, the way a person reads it.
 */
async function readCode(address, { after = 0 } = {}) {
  const deadline = Date.now() + MAIL_TIMEOUT;
  for (;;) {
    const mails = await mailsTo(address);
    if (mails.length > after) {
      const last = mails[mails.length - 1];
      const match = /(?<!\d)(\d{6})(?!\d)/.exec(last.text ?? '');
      assert.ok(match, `no six-digit code in the mail to ${address}: ${JSON.stringify(last.text)}`);
      return match[1];
    }
    if (Date.now() > deadline) {
      assert.fail(`no mail to ${address} within ${MAIL_TIMEOUT} ms (had ${mails.length})`);
    }
    await sleep(200);
  }
}

/** Waits for a mail to `address` after the first `after` whose subject matches `subject`. */
async function waitForMail(address, subject, { after = 0 } = {}) {
  const deadline = Date.now() + MAIL_TIMEOUT;
  for (;;) {
    const mails = (await mailsTo(address)).slice(after);
    const found = mails.find((m) => subject.test(m.subject ?? ''));
    if (found) return found;
    if (Date.now() > deadline) {
      assert.fail(`no mail to ${address} matching ${subject} (saw ${mails.map((m) => m.subject).join(' | ')})`);
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------
// API shortcuts (for setting up a test's preconditions, not for the thing under test)

async function postJson(pathname, body) {
  const res = await fetch(`${BASE_URL}${pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `POST ${pathname} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Creates `person`'s account through the API, reading the code from the mail. */
export async function registerViaApi(person) {
  const mail = await watchMail(person.email);
  const { username, nickname, email, password } = person;
  await postJson('/api/email_auth', { username, nickname, email, locale: 'ko' });
  const code = await mail.code();
  await postJson('/api/register', { username, password, nickname, email, code });
}

// ---------------------------------------------------------------------------------------
// Waiting assertions (playwright-core has no `expect`)

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `locator` is visible and its text matches `expected` (a RegExp, or a string
 * it must contain); fails with the last text seen.
 */
export async function expectText(locator, expected, { timeout = UI_TIMEOUT } = {}) {
  const matches = (text) =>
    expected instanceof RegExp ? expected.test(text) : text.includes(expected);
  await locator.waitFor({ state: 'visible', timeout });
  const deadline = Date.now() + timeout;
  let text = '';
  for (;;) {
    text = ((await locator.textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
    if (matches(text)) return text;
    if (Date.now() > deadline) break;
    await sleep(100);
  }
  assert.fail(`expected ${locator} to show ${expected}, but it shows ${JSON.stringify(text)}`);
}

/** Waits until the page's path is `pathname`. */
export async function expectPath(page, pathname, { timeout = UI_TIMEOUT } = {}) {
  await page
    .waitForURL((url) => url.pathname === pathname, { timeout })
    .catch(() => {});
  assert.equal(new URL(page.url()).pathname, pathname, `expected to be on ${pathname}`);
}

/** Waits until `condition()` (sync or async) is true; fails with `what` after `timeout`. */
export async function waitUntil(condition, what, { timeout = UI_TIMEOUT, every = 200 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(every);
  }
}

// ---------------------------------------------------------------------------------------
// Sessions

/**
 * Records what the page receives from the token endpoints: every access token (newest
 * last), the login answers' bodies, and their `Set-Cookie` headers. The page itself keeps the
 * access token in memory only, so this is how a test gets hold of one.
 */
export function trackTokens(page) {
  const tracked = { tokens: [], logins: [], cookies: [] };
  page.on('response', async (res) => {
    const { pathname } = new URL(res.url());
    if (!['/api/login', '/api/token/refresh'].includes(pathname) || res.status() !== 200) return;
    const cookie = await res.headerValue('set-cookie').catch(() => null);
    const body = await res.json().catch(() => null);
    if (!body) return;
    if (pathname === '/api/login') tracked.logins.push(body);
    if (cookie) tracked.cookies.push(cookie);
    tracked.tokens.push(body.access_token);
  });
  tracked.latest = () => tracked.tokens.at(-1);
  return tracked;
}

/** The status `GET /api/nick` answers for `token`, asked from outside the browser. */
export async function nickStatus(token) {
  const res = await fetch(`${BASE_URL}/api/nick`, { headers: { authorization: `Bearer ${token}` } });
  return res.status;
}

/**
 * Everything page script can read that could hold a credential: both storages and
 * `document.cookie`.
 */
export async function scriptReadable(page) {
  return page.evaluate(() => ({
    session: { ...sessionStorage },
    local: { ...localStorage },
    cookie: document.cookie,
  }));
}

/** Fails when anything script-readable looks like a token or holds one of `tokens`. */
export async function assertNoTokenReadable(page, tokens) {
  const readable = await scriptReadable(page);
  assert.deepEqual(readable.session, {}, 'sessionStorage is empty');
  assert.equal(readable.cookie, '', 'no cookie is readable by script');
  const text = JSON.stringify(readable);
  assert.ok(!/eyJ[\w-]+\.[\w-]+\./.test(text), `a JWT is readable by script: ${text}`);
  assert.ok(!text.includes('rt1_'), `a refresh token is readable by script: ${text}`);
  for (const token of tokens) assert.ok(!text.includes(token), 'a token is readable by script');
}

/**
 * Runs `body` with one fresh browser context per name in `devices` (each with its own
 * screenshot folder, and its received access tokens in `.tokens`), checking that no page
 * logged an error and closing them afterwards whatever happens.
 */
export async function withDevices(browser, t, devices, body, options) {
  const sessions = [];
  try {
    for (const device of devices) {
      // openPage names the screenshot folder after the test; one folder per device.
      const named = device
        ? { name: `${device} ${t.name}`, diagnostic: (m) => t.diagnostic(`${device}: ${m}`) }
        : t;
      const session = await openPage(browser, named, options);
      // The access tokens the device receives (the page keeps them in memory only).
      session.tokens = trackTokens(session.page);
      sessions.push(session);
    }
    await body(...sessions);
    for (const [i, s] of sessions.entries()) {
      assert.deepEqual(s.unexpectedProblems(), [], `no page or console errors (${devices[i] || 'page'})`);
    }
  } catch (err) {
    for (const s of sessions) await s.shot('failure').catch(() => {});
    throw err;
  } finally {
    for (const s of sessions) await s.close();
  }
}
