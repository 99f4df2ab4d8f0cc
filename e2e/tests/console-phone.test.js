// Every console page on a 375 px phone, with the longest text the site lets in: a customer's
// name of 100 unbroken letters (the escalation form's limit), an unbroken 300-character URL in
// the description and in a note, a manager's name of 100 unbroken letters in the header and the
// managers list, and a long routed domain. None of the pages may scroll sideways (checkPage), and
// each passes axe. The queue's dates must not wrap.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, axeReportName, checkPage, launch, openPage, screenshot } from '../lib/browser.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, follow, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { helpdeskCli, startServer } from '../lib/server.js';

axeReportName('console-phone');

// Names are one line of at most 100 characters, for customers and managers alike.
const LONG_NAME = `Maximiliana${'x'.repeat(89)}`;
const LONG_URL = `https://www.example.com/${'very-long-path-segment'.repeat(13)}?q=${'z'.repeat(20)}`;
const ADMIN = { email: 'long@example.com', name: `Bartholomew${'y'.repeat(89)}`, password: 'a-long-password-123' };
const OTHER = { email: 'sam@example.com', name: 'Sam Manager', password: 'another-long-password-456' };

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  helpdeskCli(server, ['manager', 'add', '--email', ADMIN.email, '--name', ADMIN.name, '--role', 'admin', '--password-stdin'], `${ADMIN.password}\n`);
  helpdeskCli(server, ['manager', 'add', '--email', OTHER.email, '--name', OTHER.name, '--role', 'manager', '--password-stdin'], `${OTHER.password}\n`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens a page as a fresh visitor; closes it afterwards. */
async function session(options, fn) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** Signs in through the form the console sends us to. */
async function signIn(page, who) {
  await page.goto('/console/tickets');
  assert.match(page.url(), /\/console\/sign-in\?next=/, 'the console asks for a sign-in first');
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await follow(page, page.getByRole('button', { name: 'Sign in' }), /\/console\/tickets$/);
  await assertHeading(page, 'Ticket queue');
}

test('every console page fits a 375 px phone, even with very long names and URLs', async () => {
  assert.equal(LONG_NAME.length, 100);
  assert.equal(ADMIN.name.length, 100);
  assert.ok(LONG_URL.length > 300 && !LONG_URL.includes(' '));

  // A customer with a very long name and a long URL in the description sends a ticket.
  const problem = byId['cant-send'];
  const person = { ...customer(31), name: LONG_NAME, description: `It fails on this page: ${LONG_URL}` };
  const { reference } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, person);
  });

  await session(PHONE, async (page) => {
    await signIn(page, ADMIN);

    // The queue: open tickets, the long name inside its card, the date on one line.
    const line = page.locator('table.queue tbody tr', { hasText: reference });
    await line.waitFor();
    assert.ok((await line.innerText()).includes(LONG_NAME), 'the queue shows the long name');
    const nowrap = await page.locator('table.queue td.when time').evaluateAll(
      (els) => els.map((el) => getComputedStyle(el).whiteSpace),
    );
    assert.ok(nowrap.length > 0 && nowrap.every((w) => w === 'nowrap'), `dates never wrap: ${nowrap}`);
    await page.locator('table.queue td.when .age').first().waitFor();
    await checkPage(page, 'queue on a phone, long name');
    await screenshot(page, 'console-phone-queue');

    // The same queue sorted another way.
    await page.getByLabel('Sort').selectOption('oldest');
    await follow(page, page.getByRole('button', { name: 'Filter' }), /sort=oldest/);
    await line.waitFor();
    await checkPage(page, 'queue sorted oldest first on a phone');

    // The ticket: the long name, the URL in the description, then in a note.
    await follow(page, line.getByRole('link', { name: reference }), /\/console\/tickets\/\d+$/);
    await assertHeading(page, reference);
    await page.locator('dl.facts').getByText(LONG_NAME).waitFor();
    await checkPage(page, 'ticket on a phone, long name and URL');
    await page.getByLabel('Internal note (never shown to the customer)').fill(`The customer points at ${LONG_URL}`);
    await follow(page, page.getByRole('button', { name: 'Add internal note' }), /\/console\/tickets\/\d+(#notes)?$/);
    await page.locator('.note', { hasText: 'The customer points at' }).waitFor();
    await checkPage(page, 'ticket on a phone with a long URL in a note');
    await screenshot(page, 'console-phone-ticket');

    // An empty note is refused on the same page, which still fits.
    await page.getByLabel('Internal note (never shown to the customer)').fill('   ');
    page.expectStatus = 422;
    await follow(page, page.getByRole('button', { name: 'Add internal note' }), /\/console\/tickets\/\d+\/notes$/);
    await page.getByText('The note is empty.').waitFor();
    await checkPage(page, 'ticket on a phone with a refused note');
    page.expectStatus = undefined;

    // Insights.
    await page.goto('/console/insights');
    await assertHeading(page, 'Guide insights');
    await checkPage(page, 'insights on a phone');

    // Managers: the long name in the list and in the header.
    await page.goto('/console/admin/managers');
    await assertHeading(page, 'Managers');
    await page.locator('table.managers').getByText(OTHER.email).waitFor();
    await checkPage(page, 'managers on a phone, long name');
    await screenshot(page, 'console-phone-managers');

    // Routing, with a long domain and a pasted address.
    await page.goto('/console/admin/routing');
    await assertHeading(page, 'Routing');
    const longDomain = `${'a'.repeat(60)}.${'b'.repeat(60)}.example`;
    await page.getByLabel('Customer domain').fill(`https://www.${longDomain}/contact`);
    await page.getByLabel('Manager', { exact: true }).selectOption({ label: OTHER.name });
    await follow(page, page.getByRole('button', { name: 'Save route' }), /\/console\/admin\/routing$/);
    await page.locator('table.routes').getByText(longDomain).waitFor();
    await checkPage(page, 'routing on a phone, long domain');
    await screenshot(page, 'console-phone-routing');

    // The own-password page.
    await page.goto('/console/account/password');
    await assertHeading(page, 'Your password');
    await checkPage(page, 'own password on a phone');
  });
});
