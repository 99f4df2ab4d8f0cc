// A customer past the ticket limit (here one ticket per 10 minutes, `--limit-tickets 1`): the
// escalation form comes back with everything they typed and says how long to wait, at desktop
// and phone widths, axe clean.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DESKTOP, PHONE, axeReportName, checkPage, inPage, launch, screenshot } from '../lib/browser.js';
import { byId, customer } from '../lib/guide.js';
import { fillContact, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('limits');

let server;
let browser;
before(async () => {
  server = await startServer({ args: ['--limit-tickets', '1'] });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const session = (options, fn) => inPage(browser, server.url, options, fn);

test('past the ticket limit the form comes back with what was typed and the wait', async () => {
  const problem = byId['cant-send'];
  // The browser's one ticket of the window.
  await session({}, async (page) => {
    await walkToEscalation(page, problem);
    await sendEscalation(page, problem, customer(41));
  });
  for (const [options, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    await session(options, async (page) => {
      await walkToEscalation(page, problem);
      const person = customer(42);
      await fillContact(page, person);
      page.expectStatus = 429;
      const answer = page.waitForResponse((r) => r.request().method() === 'POST');
      await page.getByRole('button', { name: 'Send to IIMS' }).click();
      const response = await answer;
      assert.equal(response.status(), 429);
      assert.match(response.headers()['retry-after'], /^\d+$/);
      await page.getByRole('heading', { name: 'Please wait before sending' }).waitFor();
      assert.match(await page.getByRole('alert').innerText(), /Please try again in \d+ (seconds|minutes); nothing you typed was lost/);
      assert.equal(await page.getByLabel('Your name').inputValue(), person.name);
      assert.equal(await page.getByLabel('Email address for our reply').inputValue(), person.email);
      assert.equal(await page.getByLabel('The email program you use').inputValue(), person.program);
      assert.equal(await page.getByLabel('Anything else we should know?').inputValue(), person.description);
      await checkPage(page, `escalation form past the ticket limit (${width})`);
      await screenshot(page, `escalation-limited-${width}`);
    });
  }
});
