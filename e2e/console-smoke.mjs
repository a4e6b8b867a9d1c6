// A manual browser check of the admin console (not part of `node --test tests/`, which runs
// without an admin listener): ADMIN_URL=http://127.0.0.1:<admin port> ADMIN_KEY=adm_… \
// node e2e/console-smoke.mjs — signs in, finds Hong_Gildong, disables the account after typing
// its username, checks the audit trail and the chart, in Korean then English.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.ADMIN_URL;
const key = process.env.ADMIN_KEY;
const shots = process.env.SHOTS ?? '/tmp';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// The wrong key's 401 is expected; anything else (a CSP refusal, a panic) is not.
page.on('console', (m) => m.type() === 'error' && !m.text().includes('401') && errors.push(m.text()));
await page.goto(`${base}/admin`);
await page.waitForSelector('#key');
assert.equal(await page.textContent('h1'), '관리 콘솔');
// A wrong key is refused and not kept.
await page.fill('#key', 'adm_' + '0'.repeat(64));
await page.click('#sign-in button');
await page.waitForSelector('text=키가 없거나 틀렸거나 폐기되었습니다.');
await page.fill('#key', key);
await page.click('#sign-in button');
await page.waitForSelector('#search');
// Nothing of the key in storage or cookies.
const kept = await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage) + document.cookie);
assert.ok(!kept.includes(key.slice(4)), kept);
await page.fill('#q', 'hong');
await page.click('#search button');
await page.click('#results tr:has-text("Hong_Gildong")');
await page.waitForSelector('#status:has-text("사용 중")');
await page.click('#disable');
assert.ok(await page.isDisabled('#confirm'), 'confirm waits for the username');
await page.fill('#confirm-username', 'Hong_Gildon');
assert.ok(await page.isDisabled('#confirm'));
await page.fill('#confirm-username', 'Hong_Gildong');
await page.click('#confirm');
await page.waitForSelector('#status:has-text("사용 중지됨")');
await page.screenshot({ path: `${shots}/console-ko-account.png`, fullPage: true });
// English, and the account enabled again from the same button.
await page.click('#lang');
await page.waitForSelector('h1:has-text("Admin console")');
await page.waitForSelector('#status:has-text("Disabled")');
await page.click('#disable');
await page.fill('#confirm-username', 'Hong_Gildong');
await page.click('#confirm');
await page.waitForSelector('#status:has-text("Active")');
await page.click('nav button:has-text("Audit trail")');
await page.waitForSelector('#audit td:has-text("disable")');
await page.waitForSelector('#audit td:has-text("enable")');
await page.screenshot({ path: `${shots}/console-en-audit.png`, fullPage: true });
await page.click('nav button:has-text("Stats")');
await page.waitForSelector('#chart rect', { state: 'attached' });
assert.equal(await page.locator('#chart rect').count(), 60);
await page.screenshot({ path: `${shots}/console-en-stats.png`, fullPage: true });
await page.click('#sign-out');
await page.waitForSelector('#key');
assert.deepEqual(errors, []);
await browser.close();
console.log('console smoke: ok');
