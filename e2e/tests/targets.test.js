// Response-time targets, seen from the browser: an admin sets them, and the queue marks a ticket
// due soon, then overdue when its deadline passes; the ticket's page says by how much. At
// desktop and phone widths, axe clean.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import path from 'node:path';
import { DESKTOP, PHONE, axeReportName, checkPage, screenshot, screenshotDir } from '../lib/browser.js';
import { serverWithAdmin, signIn } from '../lib/console.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, follow, sendEscalation, walkToEscalation } from '../lib/journey.js';

axeReportName('targets');

const ADA = { email: 'ada@example.com', name: 'Ada Admin', password: 'ada-long-password-123' };

const site = serverWithAdmin(ADA);
const session = (options, fn) => site.session(options, fn);

test('a ticket is marked due soon, then overdue, in the queue and on its page', async () => {
  const problem = byId['cant-send'];
  const opened = Date.now();
  const { reference } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, customer(31));
  });
  const row = (page) => page.locator('table.queue tbody tr', { hasText: reference });

  await session({}, async (page) => {
    await signIn(page, ADA);
    await page.goto('/console/admin/targets');
    await assertHeading(page, 'Response-time targets');
    await checkPage(page, 'response-time targets');
    // A first answer within a minute (0.02 hours), resolution within an hour.
    await page.getByLabel('First response within (hours)').first().fill('0.02');
    await page.getByLabel('Resolution within (hours)').first().fill('1');
    await follow(page, page.getByRole('button', { name: 'Save targets for IIMS support' }), /\/console\/admin\/targets(#iims-support)?$/);
    assert.equal(await page.getByLabel('First response within (hours)').first().inputValue(), '0.02');
    await screenshot(page, 'targets-desktop');

    await page.goto('/console/tickets?sort=due');
    await row(page).getByText('Due soon').waitFor();
    await checkPage(page, 'queue, due first');
  });

  // The deadline passes.
  const wait = opened + 62_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  for (const [options, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    await session(options, async (page) => {
      await signIn(page, ADA);
      await page.goto('/console/tickets?sort=due');
      await row(page).getByText('Overdue').waitFor();
      await checkPage(page, `queue with an overdue ticket (${width})`);
      await screenshot(page, `queue-overdue-${width}`);
      await follow(page, row(page).getByRole('link', { name: reference }), /\/console\/tickets\/\d+$/);
      const panel = page.locator('#deadlines');
      await panel.getByText(/overdue by/).waitFor();
      await checkPage(page, `ticket with an overdue first answer (${width})`);
      await panel.screenshot({ path: path.join(screenshotDir, `ticket-deadlines-${width}.png`), animations: 'disabled' });
    });
  }
});
