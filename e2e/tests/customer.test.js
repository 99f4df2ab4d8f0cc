// Customers in a desktop browser: each of the six problems walked to its escalation and sent, one
// fixed by the guide, one referred to their ISP, a form sent with mistakes first, and a step printed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { axeReportName, checkPage, launch, openPage, screenshot } from '../lib/browser.js';
import { byId, customer, problems } from '../lib/guide.js';
import { answerStep, assertHeading, assertHistory, escalationForm, follow, historyLines, pickSymptom, progressOf, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('customer');

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Runs `fn` with a fresh page (a new visitor), closing it afterwards. */
async function asNewVisitor(fn, options) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

describe('each problem of the guide, walked to its escalation and sent', () => {
  const references = [];
  problems.forEach((problem, n) => {
    test(`${problem.id}: "${problem.symptom}"`, () => asNewVisitor(async (page) => {
      const shots = n === 0 ? 'desktop' : undefined;
      await walkToEscalation(page, problem, { shots });
      const { reference, statusUrl } = await sendEscalation(page, problem, customer(n + 1), { shots });
      references.push(reference);
      assert.equal(reference, `IIMS-${String(references.length).padStart(6, '0')}`, 'references count up from IIMS-000001');

      // The private link keeps working without the "just sent" banner.
      await page.goto(statusUrl);
      await assertHeading(page, `Ticket ${reference}`);
      await checkPage(page, `${problem.id} ticket status`);

      // Back on the ending page, the customer is told it was already sent, not asked again.
      await page.goBack();
      await page.goBack();
      await page.reload();
      await page.getByRole('heading', { name: 'You\'ve already sent this to IIMS' }).waitFor();
      await page.getByText(reference, { exact: true }).waitFor();
      assert.equal(await page.getByRole('button', { name: 'Send to IIMS' }).count(), 0, 'no second form');
      await checkPage(page, `${problem.id} escalation already sent`);
    }));
  });
});

test('a customer whose email works again after step 1 is told so and no ticket is opened', () => asNewVisitor(async (page) => {
  const problem = byId['cant-send'];
  await pickSymptom(page, problem);
  await follow(page, page.getByRole('button', { name: 'That fixed it: I can send email now' }), /\/steps\/fixed$/);
  await assertHeading(page, 'Glad that fixed it');
  await page.getByText('Resolved by the guide', { exact: true }).waitFor();
  await page.getByText('no ticket has been opened').waitFor();
  assert.equal(await page.locator('form.escalate').count(), 0, 'no escalation form');
  assert.match(await page.title(), /^Glad that fixed it · IIMS Help$/);
  await page.locator('.path').getByText('You answered: That fixed it: I can send email now').waitFor();
  await checkPage(page, 'resolved ending');
  await screenshot(page, 'resolved-desktop');
  await follow(page, page.getByRole('link', { name: 'Back to all problems' }), /\/$/);
  await assertHeading(page, 'Email troubleshooting guide');
}));

test('a customer who cannot open a Web site is referred to the ISP, then continues the guide', () => asNewVisitor(async (page) => {
  const problem = byId['cant-send-or-receive'];
  await pickSymptom(page, problem);
  await follow(page, page.getByRole('button', { name: "I can't open a Web site" }), /\/steps\/isp$/);
  await assertHeading(page, 'Contact your Internet Service Provider (ISP)');
  assert.equal(await progressOf(page), 'Referred to the ISP');
  const tell = page.locator('section', { has: page.getByRole('heading', { name: 'What to tell your ISP' }) });
  assert.match(await tell.innerText(), /www\.football\.com/);
  assert.equal(await page.locator('form.escalate').count(), 0, 'no escalation form');
  await checkPage(page, 'ISP ending');
  await screenshot(page, 'isp-desktop');

  // The home page offers the way back once the connection works.
  await page.goto('/');
  const notice = page.locator('main .notice');
  assert.match(await notice.innerText(), new RegExp(`led you to contact your Internet Service Provider`));
  assert.ok((await notice.innerText()).includes(problem.symptom), 'the notice names the problem');
  await notice.getByRole('link', { name: 'My connection works again: continue the guide' }).waitFor();
  await checkPage(page, 'home after an ISP referral');
  await page.goBack();
  await assertHeading(page, 'Contact your Internet Service Provider (ISP)');

  // The connection is fixed: back to step 1, and on to the escalation with the detour recorded.
  await follow(page, page.getByRole('button', { name: 'My Internet connection works again: continue the guide' }), /\/steps\/check-internet$/);
  await answerStep(page, problem, 0);
  await answerStep(page, problem, 1);
  await escalationForm(page, problem);
  const [first, second] = problem.walk;
  await sendEscalation(page, problem, customer(40), {
    history: [
      `You chose ${problem.symptom} and began at 1) ${first.title}`,
      `1) ${first.title}: you answered I can't open a Web site`,
      'You reached: Contact your Internet Service Provider (ISP)',
      `You came back from the ISP referral: your Internet connection worked again; back to 1) ${first.title}`,
      `1) ${first.title}: you answered ${first.choose}`,
      `2) ${second.title}: you answered ${second.choose}`,
      (line) => line.startsWith('You reached: 3) ') && line.includes(problem.ending.heading),
    ],
  });
}));

test('mistakes in the escalation form are shown at the top and beside each field, then fixed', () => asNewVisitor(async (page) => {
  const problem = byId['password-prompts'];
  await walkToEscalation(page, problem);
  await page.getByLabel('Email address for our reply').fill('not an address');
  page.expectStatus = 422; // the form comes back with its mistakes
  await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), /\/escalate$/);

  const summary = page.getByRole('alert');
  await summary.getByRole('heading', { name: 'Please check the form' }).waitFor();
  const links = await summary.getByRole('link').allInnerTexts();
  assert.equal(links.length, 3, `three mistakes listed (name, address, email program): ${links}`);

  // Each message is tied to its field: announced with it, and the field is marked invalid.
  for (const [label, id] of [['Your name', 'name'], ['Email address for our reply', 'email'], ['The email program you use', 'email_program']]) {
    const field = page.getByLabel(label);
    assert.equal(await field.getAttribute('aria-invalid'), 'true', `${id} is marked invalid`);
    const describedBy = (await field.getAttribute('aria-describedby')).split(' ');
    assert.ok(describedBy.includes(`${id}-error`), `${id} is described by its error`);
    const message = await page.locator(`#${id}-error`).innerText();
    assert.ok(links.includes(message), `the summary repeats "${message}"`);
  }
  await checkPage(page, 'escalation form with mistakes');
  await screenshot(page, 'escalation-errors-desktop');

  // The summary's link takes the customer to the field.
  await summary.getByRole('link').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'name', 'the link moves focus to the field');

  await page.getByLabel('Your name').fill('Bo Example');
  await page.getByLabel('Email address for our reply').fill('bo@example.org');
  await page.getByLabel('The email program you use').selectOption('Microsoft Outlook');
  // An extension is part of a phone number.
  await page.getByLabel('Phone number').fill('020 7946 0000 ext. 23');
  await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), /\/tickets\/[0-9a-f]{64}\?sent=1$/);
  page.expectStatus = undefined;
  const person = { name: 'Bo Example', email: 'bo@example.org', program: 'Microsoft Outlook', description: '' };
  const heading = await page.getByRole('heading', { level: 1 }).innerText();
  assert.match(heading, /^We've got it: your reference is IIMS-\d{6}$/);
  await page.getByText('b*@example.org', { exact: true }).waitFor();
  await checkPage(page, 'confirmation after mistakes');
}));

test('a step prints as the step alone: no header, buttons or forms', () => asNewVisitor(async (page) => {
  const problem = byId['cant-send'];
  await pickSymptom(page, problem);
  await page.emulateMedia({ media: 'print' });
  const shown = (selector) => page.locator(selector).first().evaluate((el) => getComputedStyle(el).display !== 'none');
  assert.equal(await shown('h1'), true, 'the step title prints');
  assert.equal(await shown('.checklist'), true, 'the checklist prints');
  for (const hidden of ['.site-header', '.site-footer', 'form.choices', '.crumbs', '.path-actions']) {
    assert.equal(await shown(hidden), false, `${hidden} is not printed`);
  }
  assert.equal(await page.locator('html').evaluate((b) => getComputedStyle(b).backgroundColor), 'rgb(255, 255, 255)');
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 1000, 'the step prints to a PDF');
  await page.emulateMedia({ media: 'screen' });
}));

test('the stylesheet is served from this site, fingerprinted and cached', () => asNewVisitor(async (page) => {
  await page.goto('/');
  const hrefs = await page.locator('link[rel=stylesheet]').evaluateAll((ls) => ls.map((l) => l.getAttribute('href')));
  assert.equal(hrefs.length, 1);
  assert.match(hrefs[0], /^\/static\/style\.css\?v=[0-9a-f]{12}$/);
  assert.equal(await page.locator('script').count(), 0, 'customer pages carry no script');
  const first = await page.request.get(hrefs[0]);
  assert.equal(first.status(), 200);
  assert.match(first.headers()['cache-control'], /max-age=31536000/);
  const etag = first.headers().etag;
  assert.ok(etag, 'an ETag');
  const again = await page.request.get(hrefs[0], { headers: { 'If-None-Match': etag } });
  assert.equal(again.status(), 304);
  // The styles are applied: a real design, not the browser's default.
  const font = await page.locator('body').evaluate((b) => getComputedStyle(b).fontFamily);
  assert.match(font, /system-ui/);
}));
