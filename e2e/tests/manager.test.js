// An account manager's day in the console: sign in, find the customer's new ticket in the queue,
// read the path the customer took, add a note, take the ticket, resolve it; the customer's own
// status page then says it is resolved. Every console page is checked like the customer's.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from 'playwright-core';
import { PHONE, axeReportName, checkPage, launch, openPage, screenshot } from '../lib/browser.js';
import { signIn as consoleSignIn } from '../lib/console.js';
import { byId, customer } from '../lib/guide.js';
import { answerStep, assertHeading, assertHistory, assertMasked, factValue, follow, historyLines, pickSymptom, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { helpdeskCli, startServer } from '../lib/server.js';

axeReportName('manager');

const MIA = { email: 'mia@example.com', name: 'Mia Manager', password: 'a-long-password-123' };
const MAX = { email: 'max@example.com', name: 'Max Manager', password: 'another-long-password-456' };
const ZOE = { email: 'zoe@example.com', name: 'Zoe Manager', password: 'zoe-first-password-789' };

let server;
let browser;
before(async () => {
  // The test's requests come as through a local proxy (X-Forwarded-For per customer).
  server = await startServer({ args: ['--trusted-proxy', '127.0.0.1'] });
  browser = await launch();
  helpdeskCli(server, ['manager', 'add', '--email', MIA.email, '--name', MIA.name, '--role', 'admin', '--password-stdin'], `${MIA.password}\n`);
  helpdeskCli(server, ['manager', 'add', '--email', MAX.email, '--name', MAX.name, '--role', 'manager', '--password-stdin'], `${MAX.password}\n`);
  helpdeskCli(server, ['manager', 'add', '--email', ZOE.email, '--name', ZOE.name, '--role', 'manager', '--password-stdin'], `${ZOE.password}\n`);
});

/**
 * Sends one escalation the way a browser without cookies does: reads the ending page, posts its
 * form with the hidden fields it carries. Quicker than a walk, for filling the queue.
 */
async function quickTicket(person, n) {
  // Each from its own address behind the proxy, as real customers are: the site limits tickets
  // per client, and reads the client from the trusted proxy's X-Forwarded-For.
  const api = await request.newContext({ baseURL: server.url, extraHTTPHeaders: { 'X-Forwarded-For': `192.0.2.${n + 1}` } });
  try {
    const url = '/problems/password-prompts/steps/contact-account-manager';
    const html = await (await api.get(url)).text();
    const form = html.slice(html.indexOf('<form class="escalate"'), html.indexOf('</form>', html.indexOf('<form class="escalate"')));
    const hidden = Object.fromEntries([...form.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
    assert.match(hidden.csrf, /^new-/, 'a page read without a cookie carries a new-visit token');
    const res = await api.post(`${url}/escalate`, {
      form: { ...hidden, name: person.name, email: person.email, phone: '', account: '', email_program: 'Microsoft Outlook', description: '' },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 303, `the escalation is accepted (${res.status()})`);
    assert.match(res.headers().location, /^\/tickets\/[0-9a-f]{64}\?sent=1$/);
  } finally {
    await api.dispose();
  }
}
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

/** Signs in through the form, and checks the console names who is signed in. */
async function signIn(page, who) {
  await consoleSignIn(page, who);
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
  const correctedPhone = '+44 161 496 0000 ext. 12';
  const { reference, statusUrl } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    const sent = await sendEscalation(page, problem, person);
    // Before anyone has acted, the customer corrects their phone number on the status page.
    await page.getByLabel('Phone number').fill(correctedPhone);
    await follow(page, page.getByRole('button', { name: 'Save my details' }), /\?corrected=1(#contact)?$/);
    await page.getByText('Your contact details were updated.').waitFor();
    return sent;
  });

  await session({}, async (page) => {
    await signIn(page, MIA);
    const current = page.getByRole('navigation', { name: 'Status' }).locator('[aria-current=page]');
    assert.match((await current.innerText()).trim(), /^Open\b/, 'the queue opens on the Open tab');

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
    assert.equal(await factValue(page, 'Phone'), correctedPhone, "the customer's correction is what the manager sees");
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
    await page.getByLabel('Internal note (never shown to the customer)').fill(note);
    await follow(page, page.getByRole('button', { name: 'Add internal note' }), /\/console\/tickets\/\d+(#notes)?$/);
    const added = page.locator('.note', { hasText: note });
    await added.waitFor();
    assert.ok((await added.innerText()).includes(MIA.name), 'the note names its author');
    await checkPage(page, 'console ticket with a note');

    // Assigned to a colleague from the list, then taken over.
    await page.getByLabel('Assign to', { exact: true }).selectOption({ label: MAX.name });
    await follow(page, page.getByRole('button', { name: 'Save assignment' }), /\/console\/tickets\/\d+(#\w+)?$/);
    // The holder as the page states it, not the colleague's name in the list to choose from.
    await page.locator('#assignment strong', { hasText: MAX.name }).waitFor();
    assert.equal((await page.locator('#assignment strong').innerText()).trim(), MAX.name);
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
    for (const what of ['Contact details corrected', 'Internal note added', 'Assignment changed', 'Status changed']) {
      assert.ok(history.includes(what), `the history records "${what}"`);
    }
    const byCustomer = page.locator('table.audit tbody tr', { hasText: 'Contact details corrected' });
    assert.equal((await byCustomer.locator('td').nth(1).innerText()).trim(), 'The customer', 'the customer made the correction');
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
    assert.equal(await page.locator('section#contact').count(), 0, 'once a manager has acted, the details can no longer be changed here');
    assert.equal(await page.getByRole('button', { name: 'Save my details' }).count(), 0);
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

test('the queue pages, sorts and searches without regard to case; a ticket lists the customer\'s other tickets', async () => {
  // Two tickets from one customer whose name is not plain ASCII, through the site.
  const problem = byId['same-emails-again'];
  const asa = { ...customer(21), name: 'Åsa Ängström', email: 'asa@example.se' };
  const first = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, asa);
  });
  const second = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, asa);
  });
  // Enough other tickets for a second page of the queue.
  for (let i = 0; i < 26; i++) await quickTicket({ name: `Filler Customer ${i}`, email: `filler${i}@example.net` }, i);

  await session({}, async (page) => {
    await signIn(page, MAX);
    const refs = () => page.locator('table.queue tbody tr td:first-child').allInnerTexts();
    const newest = await refs();
    assert.equal(newest.length, 25, 'a page holds 25 tickets');
    const numbers = newest.map((r) => Number(r.trim().slice(5)));
    assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a), 'newest first');

    // Next and Previous.
    await follow(page, page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Next' }), /\/console\/tickets\?/);
    const second_page = await refs();
    assert.ok(second_page.length > 0 && second_page.every((r) => !newest.includes(r)), 'page two holds other tickets');
    await checkPage(page, 'console queue, page two');
    await follow(page, page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Previous' }), /\/console\/tickets/);
    assert.deepEqual(await refs(), newest, 'Previous comes back to the first page');

    // Oldest first.
    await page.getByLabel('Sort').selectOption('oldest');
    await follow(page, page.getByRole('button', { name: 'Filter' }), /sort=oldest/);
    const oldest = (await refs()).map((r) => Number(r.trim().slice(5)));
    assert.deepEqual(oldest, [...oldest].sort((a, b) => a - b), 'oldest first');

    // Search in capitals finds the name written in small letters, accents and all.
    await page.getByLabel('Sort').selectOption('newest');
    await page.getByLabel('Search').fill('ÅSA ÄNGSTRÖM');
    await follow(page, page.getByRole('button', { name: 'Filter' }), /q=/);
    assert.deepEqual((await refs()).map((r) => r.trim()).sort(), [first.reference, second.reference].sort());
    await checkPage(page, 'console queue, searched in capitals');

    // The ticket lists the customer's other ticket.
    await follow(page, row(page, second.reference).getByRole('link', { name: second.reference }), /\/console\/tickets\/\d+$/);
    const others = page.locator('section#other-tickets');
    await others.getByRole('link', { name: first.reference }).waitFor();
    assert.equal(await others.getByRole('link').count(), 1, 'one other ticket');
    await checkPage(page, 'console ticket with the customer\'s other tickets');
  });
});

test('a manager changes their own password, and signs in with the new one', () => session({}, async (page) => {
  await signIn(page, ZOE);
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: ZOE.name }).click();
  await page.waitForURL(/\/console\/account\/password$/);
  await assertHeading(page, 'Your password');
  await checkPage(page, 'own password');

  // A wrong current password is refused inside the console.
  await page.getByLabel('Current password').fill('not-my-password');
  await page.getByLabel('New password', { exact: true }).fill('zoe-second-password-000');
  await page.getByLabel('New password again').fill('zoe-second-password-000');
  page.expectStatus = 422;
  await follow(page, page.getByRole('button', { name: 'Change password' }), /\/console\/account\/password$/);
  await page.getByText('That is not your current password.').first().waitFor();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  await checkPage(page, 'own password refused');
  page.expectStatus = undefined;

  await page.getByLabel('Current password').fill(ZOE.password);
  await page.getByLabel('New password', { exact: true }).fill('zoe-second-password-000');
  await page.getByLabel('New password again').fill('zoe-second-password-000');
  await follow(page, page.getByRole('button', { name: 'Change password' }), /\/console\/account\/password\?changed=1$/);
  await page.getByRole('status').getByText('Your password has been changed.').waitFor();
  await follow(page, page.getByRole('button', { name: 'Sign out' }), /\/console\/sign-in/);
  await signIn(page, { ...ZOE, password: 'zoe-second-password-000' });
}));

test('the console tells a detour whole, and a manager corrects the contact details', async () => {
  // A customer goes through the ISP referral on the download-stuck problem, then escalates.
  const problem = byId['download-stuck'];
  const [first] = problem.walk;
  const person = customer(22);
  const { reference, statusUrl } = await session({}, async (page) => {
    await pickSymptom(page, problem);
    await follow(page, page.getByRole('button', { name: "I can't open a Web site" }), /\/steps\/isp$/);
    await follow(page, page.getByRole('button', { name: 'My Internet connection works again: continue the guide' }), /\/steps\/check-internet$/);
    await answerStep(page, problem, 0);
    return sendEscalation(page, problem, person, { history: null });
  });

  await session({}, async (page) => {
    await signIn(page, MIA);
    await follow(page, row(page, reference).getByRole('link', { name: reference }), /\/console\/tickets\/\d+$/);

    // The compact timeline is what the customer finally did; the whole of it is beside it, open
    // because there was a detour, in a manager's words.
    const full = page.locator('details.full-history');
    assert.equal(await full.getAttribute('open'), '', 'a path with a detour is shown open');
    assert.match(await full.locator('summary').innerText(), /^Everything the customer did, in order \(6 entries\): with detours$/);
    assertHistory(await historyLines(page), [
      `Chose ${problem.symptom} and began at 1) ${first.title}`,
      `1) ${first.title}: answered I can't open a Web site`,
      'Reached (Referred to the ISP): Contact your Internet Service Provider (ISP)',
      `Came back from the ISP referral: their Internet connection worked again; back to 1) ${first.title}`,
      `1) ${first.title}: answered ${first.choose}`,
      (line) => line.startsWith('Reached (Account Manager): 2) ') && line.includes(problem.ending.heading),
    ]);
    const timeline = await page.locator('ol.timeline').innerText();
    assert.ok(!timeline.includes('Internet Service Provider'), 'the compact timeline leaves the detour out');
    await checkPage(page, 'console ticket with a detour');
    await screenshot(page, 'ticket-detour-desktop');

    // The contact details, corrected by the manager: a mistake is shown in the console first.
    const edit = page.locator('details.contact-edit');
    await edit.locator('summary').click();
    assert.equal(await edit.getByLabel('Email').inputValue(), person.email, 'the form starts with what the ticket holds');
    await edit.getByLabel('Email').fill('not an address');
    page.expectStatus = 422;
    await follow(page, edit.getByRole('button', { name: 'Save contact details' }), /\/console\/tickets\/\d+\/contact$/);
    await page.getByRole('alert').getByText('Please check the details below; nothing was saved.').waitFor();
    assert.equal(await page.getByLabel('Email', { exact: true }).getAttribute('aria-invalid'), 'true');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    assert.equal(await factValue(page, 'Email'), person.email, 'nothing was saved');
    await checkPage(page, 'console contact details with a mistake');
    page.expectStatus = undefined;

    const corrected = 'ann.corrected@example.net';
    await page.getByLabel('Email', { exact: true }).fill(corrected);
    await follow(page, page.getByRole('button', { name: 'Save contact details' }), /\/console\/tickets\/\d+(#customer)?$/);
    assert.equal(await factValue(page, 'Email'), corrected);
    const audit = await page.locator('table.audit').innerText();
    assert.ok(audit.includes('Contact details corrected') && audit.includes(MIA.name), `the history records the correction: ${audit}`);
    await checkPage(page, 'console contact details corrected');
  });

  // The customer's status page shows the corrected address, masked, and the detour in their words.
  await session({}, async (page) => {
    await page.goto(statusUrl);
    assertMasked(await factValue(page, 'Your address'), 'ann.corrected@example.net');
    const lines = await historyLines(page);
    assert.ok(lines[3].startsWith('You came back from the ISP referral: your Internet connection'), lines[3]);
    await checkPage(page, 'customer status after the manager corrected the address');
  });
});
