// An account manager's day in the console: sign in, find the customer's new ticket in the queue,
// read the path the customer took, add a note, take the ticket, resolve it; the customer's own
// status page then says it is resolved. Every console page is checked like the customer's.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, axeReportName, checkPage, launch, openPage, screenshot } from '../lib/browser.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, factValue, follow, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { helpdeskCli, startServer } from '../lib/server.js';

axeReportName('manager');

const MIA = { email: 'mia@example.com', name: 'Mia Manager', password: 'a-long-password-123' };
const MAX = { email: 'max@example.com', name: 'Max Manager', password: 'another-long-password-456' };

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  helpdeskCli(server, ['manager', 'add', '--email', MIA.email, '--name', MIA.name, '--role', 'admin', '--password-stdin'], `${MIA.password}\n`);
  helpdeskCli(server, ['manager', 'add', '--email', MAX.email, '--name', MAX.name, '--role', 'manager', '--password-stdin'], `${MAX.password}\n`);
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

/** Signs in through the form, from wherever the console sent us. */
async function signIn(page, who) {
  await page.goto('/console/tickets');
  assert.match(page.url(), /\/console\/sign-in\?next=/, 'the console asks for a sign-in first');
  await assertHeading(page, 'Sign in');
  await checkPage(page, 'console sign-in');
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await follow(page, page.getByRole('button', { name: 'Sign in' }), /\/console\/tickets$/);
  await assertHeading(page, 'Ticket queue');
  await page.getByRole('navigation', { name: 'Console' }).getByText(who.name).waitFor();
}

/** The queue's row for a reference. */
const row = (page, reference) => page.locator('table.queue tbody tr', { hasText: reference });

test('a wrong password is refused with a message, and the console stays closed', () => session({}, async (page) => {
  await page.goto('/console/sign-in');
  await page.getByLabel('Email address').fill(MIA.email);
  await page.getByLabel('Password').fill('not-the-password');
  page.expectStatus = 401;
  await follow(page, page.getByRole('button', { name: 'Sign in' }), /\/console\/sign-in$/);
  await page.getByRole('alert').getByText("That email address and password don't match an account.").waitFor();
  await checkPage(page, 'console sign-in refused');
  page.expectStatus = undefined;
  await page.goto('/console/tickets');
  assert.match(page.url(), /\/console\/sign-in/, 'still not signed in');
}));

test('a manager signs in, works the new ticket to resolved, and the customer sees it', async () => {
  // A customer sends a ticket.
  const problem = byId['cant-send'];
  const person = customer(11);
  const { reference, statusUrl } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, person);
  });

  await session({}, async (page) => {
    await signIn(page, MIA);

    // The queue: the new ticket, with who sent it and what about.
    const line = row(page, reference);
    await line.waitFor();
    const cells = await line.locator('td').allInnerTexts();
    assert.equal(cells[0].trim(), reference);
    assert.equal(cells[1].trim(), 'New');
    assert.ok(cells[2].includes(person.name) && cells[2].includes(person.email), `the customer: ${cells[2]}`);
    assert.equal(cells[3].trim(), problem.symptom);
    assert.ok(cells[5].includes('Unassigned'));
    await checkPage(page, 'console queue');
    await screenshot(page, 'queue-desktop');

    // Found again by searching for its reference.
    await page.getByLabel('Search').fill(reference);
    await follow(page, page.getByRole('button', { name: 'Filter' }), /\/console\/tickets\?/);
    assert.equal(await page.locator('table.queue tbody tr').count(), 1, 'one ticket matches its reference');
    await page.getByText('1 matching ticket', { exact: true }).waitFor();
    await checkPage(page, 'console queue, searched');

    // The ticket: the customer, and the path they took, answer by answer.
    await follow(page, line.getByRole('link', { name: reference }), /\/console\/tickets\/\d+$/);
    await assertHeading(page, reference);
    assert.match(await page.title(), new RegExp(`^${reference} · IIMS Console$`));
    assert.equal(await factValue(page, 'Name'), person.name);
    assert.equal(await factValue(page, 'Email'), person.email);
    assert.equal(await factValue(page, 'Email program'), person.program);
    assert.equal(await factValue(page, 'Description'), person.description);
    const path = await page.locator('ol.timeline').innerText();
    for (const step of problem.walk) {
      assert.ok(path.includes(step.title), `the path shows "${step.title}"`);
      assert.ok(path.includes(`Answered: ${step.choose}`), `the path shows the answer "${step.choose}"`);
    }
    assert.ok(path.includes(problem.ending.heading), 'the path ends where the guide stopped');
    await checkPage(page, 'console ticket');
    await screenshot(page, 'ticket-desktop');

    // A note for colleagues.
    const note = 'Checked the SMTP logs: relay refused for this account. Fixing the relay list.';
    await page.getByLabel('Add a note').fill(note);
    await follow(page, page.getByRole('button', { name: 'Add note' }), /\/console\/tickets\/\d+(#notes)?$/);
    const added = page.locator('.note', { hasText: note });
    await added.waitFor();
    assert.ok((await added.innerText()).includes(MIA.name), 'the note names its author');
    await checkPage(page, 'console ticket with a note');

    // Assigned to a colleague from the list, then taken over.
    await page.getByLabel('Assign to', { exact: true }).selectOption({ label: MAX.name });
    await follow(page, page.getByRole('button', { name: 'Save assignment' }), /\/console\/tickets\/\d+(#\w+)?$/);
    await page.locator('#assignment').getByText(MAX.name, { exact: true }).first().waitFor();
    await follow(page, page.getByRole('button', { name: 'Assign to me' }), /\/console\/tickets\/\d+(#\w+)?$/);
    await page.locator('#assignment strong', { hasText: MIA.name }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Assign to me' }).count(), 0, 'nothing to take any more');
    await checkPage(page, 'console ticket assigned');

    // Worked, then resolved.
    await follow(page, page.getByRole('button', { name: 'Start work' }), /\/console\/tickets\/\d+(#\w+)?$/);
    await page.getByRole('heading', { name: 'Status: In progress' }).waitFor();
    await checkPage(page, 'console ticket in progress');
    await follow(page, page.getByRole('button', { name: 'Resolve' }), /\/console\/tickets\/\d+(#\w+)?$/);
    await page.getByRole('heading', { name: 'Status: Resolved' }).waitFor();
    assert.equal((await page.locator('h1 .badge').innerText()).trim(), 'Resolved');
    const history = await page.locator('table.audit').innerText();
    for (const what of ['Internal note added', 'Assignment changed', 'Status changed']) {
      assert.ok(history.includes(what), `the history records "${what}"`);
    }
    await checkPage(page, 'console ticket resolved');
    await screenshot(page, 'ticket-resolved-desktop');

    // Back in the queue the ticket is no longer new; it is under Resolved.
    await page.goto('/console/tickets');
    await page.getByRole('navigation', { name: 'Status' }).getByRole('link', { name: /Resolved/ }).click();
    await page.waitForLoadState('load');
    await row(page, reference).waitFor();
    assert.equal((await row(page, reference).locator('td').nth(1).innerText()).trim(), 'Resolved');
    await checkPage(page, 'console queue, resolved');

    // What the guide achieves, from the same data.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Insights' }).click();
    await page.waitForLoadState('load');
    await assertHeading(page, 'Guide insights');
    await checkPage(page, 'console insights');
    await screenshot(page, 'insights-desktop');

    // The admin pages.
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Managers' }).click();
    await page.waitForLoadState('load');
    await assertHeading(page, 'Managers');
    await page.getByText(MAX.email).waitFor();
    await checkPage(page, 'console managers');
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Routing' }).click();
    await page.waitForLoadState('load');
    await checkPage(page, 'console routing');

    // Signed out, the console is closed again.
    await follow(page, page.getByRole('button', { name: 'Sign out' }), /\/console\/sign-in/);
    await checkPage(page, 'console signed out');
    await page.goto('/console/tickets');
    assert.match(page.url(), /\/console\/sign-in/, 'signed out');
  });

  // The customer's private link now says resolved; the internal note is not shown.
  await session({}, async (page) => {
    await page.goto(statusUrl);
    await assertHeading(page, `Ticket ${reference}`);
    assert.equal(await factValue(page, 'Status'), 'Resolved');
    await page.getByText('We consider this problem solved.').waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes('relay list'), 'internal notes stay internal');
    await checkPage(page, 'customer status, resolved');
    await screenshot(page, 'status-resolved-desktop');
  });
});

test('the console on a phone: the queue and a ticket', async () => {
  const problem = byId['password-prompts'];
  const { reference } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, customer(12));
  });
  await session(PHONE, async (page) => {
    await signIn(page, MAX);
    await checkPage(page, 'console queue on a phone');
    await screenshot(page, 'queue-phone');
    await follow(page, row(page, reference).getByRole('link', { name: reference }), /\/console\/tickets\/\d+$/);
    await assertHeading(page, reference);
    await checkPage(page, 'console ticket on a phone');
    await screenshot(page, 'ticket-phone');
    await page.goto('/console/insights');
    await assertHeading(page, 'Guide insights');
    await checkPage(page, 'console insights on a phone');
    await screenshot(page, 'insights-phone');
  });
});
