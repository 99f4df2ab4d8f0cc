// A customer's privacy request in the console: an admin finds what is held under the
// customer's address, confirms, and erases it; the customer's status link then leads nowhere.
// At desktop and phone widths, axe clean.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DESKTOP, PHONE, axeReportName, checkPage, screenshot } from '../lib/browser.js';
import { serverWithAdmin, signIn } from '../lib/console.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, follow, sendEscalation, walkToEscalation } from '../lib/journey.js';

axeReportName('privacy');

const ADA = { email: 'ada@example.com', name: 'Ada Admin', password: 'ada-long-password-123' };

const site = serverWithAdmin(ADA);
const session = (options, fn) => site.session(options, fn);

test('an admin finds a customer by address and erases their data after confirming', async () => {
  const problem = byId['cant-send'];
  const people = [customer(51), customer(52)];
  const sent = [];
  for (const person of people) {
    sent.push(await session({}, async (page) => {
      await walkToEscalation(page, problem);
      return sendEscalation(page, problem, person);
    }));
  }
  for (const [[options, width], person, ticket] of [[[DESKTOP, 'desktop'], people[0], sent[0]], [[PHONE, 'phone'], people[1], sent[1]]]) {
    await session(options, async (page) => {
      await signIn(page, ADA);
      await page.goto('/console/admin/privacy');
      await assertHeading(page, 'Customer privacy');
      await checkPage(page, `privacy page (${width})`);
      await page.getByLabel("Customer's email address").fill(person.email.toUpperCase());
      await page.getByRole('button', { name: 'Find what is held' }).click();
      await page.getByRole('heading', { name: `Held under ${person.email.toUpperCase()}` }).waitFor();
      await page.getByRole('link', { name: ticket.reference }).waitFor();
      await checkPage(page, `privacy page with a customer found (${width})`);
      await screenshot(page, `privacy-found-${width}`);
      // Not confirmed: refused, nothing erased.
      page.expectStatus = 422;
      await page.getByRole('button', { name: "Erase the customer's data" }).click();
      await page.getByText('Tick the box to confirm').waitFor();
      page.expectStatus = undefined;
      await page.getByRole('checkbox').check();
      await follow(page, page.getByRole('button', { name: "Erase the customer's data" }), /\/console\/admin\/privacy\?erased=1$/);
      await page.getByText('Erased from 1 ticket.').waitFor();
      await checkPage(page, `privacy page after an erasure (${width})`);
      await screenshot(page, `privacy-erased-${width}`);
    });
    const gone = await session({}, async (page) => (await page.goto(ticket.statusUrl)).status());
    assert.equal(gone, 404, 'the old status link leads nowhere');
  }
});
