// The paths customers really take, and what their status page then says they did: a detour through
// the ISP referral, a step answered again after the browser's Back button, a bookmarked step, a
// problem the guide doesn't cover (from the home page, and from a bookmark in a fresh browser),
// and contact details corrected on the status page. The status and contact pages are checked at
// desktop width and on a 375 px phone.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DESKTOP, PHONE, axeReportName, checkPage, launch, openPage, screenshot } from '../lib/browser.js';
import { byId, customer, progressLabel, somethingElse } from '../lib/guide.js';
import {
  TICKET_URL,
  answerStep,
  assertHeading,
  assertHistory,
  assertMasked,
  confirmation,
  csrfTokens,
  escalationForm,
  factValue,
  fillContact,
  follow,
  historyLines,
  pickSymptom,
  progressOf,
  sendEscalation,
  visitCookie,
  walkToEscalation,
  walkedHistory,
} from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('paths');

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

/** Runs `fn` in a fresh browser context (no cookie), closing it afterwards. */
async function asNewVisitor(options, fn) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

const NEW_VISIT_TOKEN = /^new-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The sidebar's list of answered steps, one text per step. */
const pathLines = async (page) => (await page.locator('.path ol.path-list > li').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());

/** The "something else" problem as the confirmation and status pages present it. */
const notInGuide = { id: 'something-else', symptom: somethingElse.symptom, ending: { kind: somethingElse.kind } };

let people = 100;
const nextPerson = () => customer(++people);

for (const [screen, options] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  describe(`on ${screen === 'desktop' ? 'a desktop screen' : 'a 375 px phone'}`, () => {
    test('the download-stuck detour: ISP referral, connection back, escalated; the status page shows it all', () => asNewVisitor(options, async (page) => {
      const problem = byId['download-stuck'];
      const [first] = problem.walk;
      await pickSymptom(page, problem);
      await assertHeading(page, first.title);
      await follow(page, page.getByRole('button', { name: "I can't open a Web site" }), /\/steps\/isp$/);
      await assertHeading(page, 'Contact your Internet Service Provider (ISP)');
      assert.equal(await progressOf(page), 'Referred to the ISP');
      await checkPage(page, `download-stuck ISP referral (${screen})`);

      await follow(page, page.getByRole('button', { name: 'My Internet connection works again: continue the guide' }), /\/problems\/download-stuck\/steps\/check-internet$/);
      await assertHeading(page, first.title);
      await checkPage(page, `download-stuck step 1 after the ISP (${screen})`);
      await follow(page, page.getByRole('button', { name: first.choose, exact: true }), /\/steps\/message-too-large$/);
      await escalationForm(page, problem);

      const person = nextPerson();
      const { statusUrl } = await sendEscalation(page, problem, person, {
        history: [
          `You chose ${problem.symptom} and began at 1) ${first.title}`,
          `1) ${first.title}: you answered I can't open a Web site`,
          'You reached: Contact your Internet Service Provider (ISP)',
          `You came back from the ISP referral: your Internet connection worked again; back to 1) ${first.title}`,
          `1) ${first.title}: you answered ${first.choose}`,
          (line) => line.startsWith('You reached: 2) ') && line.includes(problem.ending.heading),
        ],
      });
      await screenshot(page, `status-detour-${screen}`);

      // The private link, opened later, still tells the whole detour.
      await page.goto(statusUrl);
      const lines = await historyLines(page);
      assert.equal(lines.length, 6);
      assert.ok(lines[3].startsWith('You came back from the ISP referral'), lines[3]);
      await checkPage(page, `download-stuck status page (${screen})`);
    }));

    test('back a step with the browser, the earlier answer shown, then escalated', () => asNewVisitor(options, async (page) => {
      const problem = byId['cant-send'];
      const [first, second] = problem.walk;
      await walkToEscalation(page, problem);

      // The browser's Back button: step 2 again, with what was answered there.
      await page.goBack();
      await page.waitForURL(/\/steps\/use-isp-smtp$/);
      await assertHeading(page, second.title);
      assert.equal(await progressOf(page), progressLabel(problem, 1));
      await page.locator('form.choices').getByText(`You answered this step before: ${second.choose}`).waitFor();
      // The sidebar lists only the steps before this one.
      const lines = await pathLines(page);
      assert.equal(lines.length, 1, `only step 1 in the path: ${lines}`);
      assert.ok(lines[0].includes(first.title) && lines[0].includes(`You answered: ${first.choose}`), lines[0]);
      await checkPage(page, `cant-send step 2 reached with Back (${screen})`);
      if (screen === 'desktop') await screenshot(page, 'step-answered-before-desktop');

      // Answered the same again and escalated: the status page tells the path once, not twice.
      await follow(page, page.getByRole('button', { name: second.choose, exact: true }), /\/steps\/contact-iims$/);
      await escalationForm(page, problem);
      await sendEscalation(page, problem, nextPerson(), { history: walkedHistory(problem) });
    }));

    test('something else: from the home page to a ticket of kind "Not in the guide"', () => asNewVisitor(options, async (page) => {
      await page.goto('/');
      await follow(page, page.locator('a.symptom', { hasText: somethingElse.symptom }), /\/contact$/);
      await assertHeading(page, somethingElse.title);
      assert.equal(await visitCookie(page), undefined, 'reading the contact page sets no cookie');
      const tokens = await csrfTokens(page);
      assert.ok(tokens.length === 1 && NEW_VISIT_TOKEN.test(tokens[0]), `the form carries a new-visit token: ${tokens}`);
      await checkPage(page, `contact page (${screen})`);
      await screenshot(page, `contact-${screen}`);

      // Every field but the phone and account is required, the description too.
      page.expectStatus = 422;
      await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), /\/contact$/);
      const summary = page.getByRole('alert');
      await summary.getByRole('heading', { name: 'Please check the form' }).waitFor();
      const mistakes = await summary.getByRole('link').evaluateAll((ls) => ls.map((l) => l.getAttribute('href')));
      assert.deepEqual(mistakes, ['#name', '#email', '#email_program', '#description']);
      assert.equal(await page.getByLabel('What is the problem?').getAttribute('aria-invalid'), 'true');
      assert.equal(await visitCookie(page), undefined, 'a refused form starts nothing');
      await checkPage(page, `contact page with mistakes (${screen})`);
      page.expectStatus = undefined;

      const person = { ...nextPerson(), description: 'My webmail shows another person\'s calendar.' };
      await fillContact(page, person, { describe: 'What is the problem?' });
      await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), TICKET_URL);
      assert.ok(await visitCookie(page), 'sending the form starts the visit');
      // No steps of the guide to tell back, and no claim of a bookmark.
      const { statusUrl } = await confirmation(page, notInGuide, person, { history: [] });
      await page.locator('main').getByText('You wrote to us without going through the guide.').waitFor();
      await screenshot(page, `confirmation-something-else-${screen}`);

      // In the console the ticket is of kind "Not in the guide": the status page says so too.
      await page.goto(statusUrl);
      assert.equal(await factValue(page, 'Sent to'), 'Not in the guide');
    }));

    test('the "something else" form opened from a bookmark in a fresh browser', () => asNewVisitor(options, async (page) => {
      await page.goto('/contact');
      await assertHeading(page, somethingElse.title);
      assert.equal(await visitCookie(page), undefined);
      await checkPage(page, `contact page opened from a bookmark (${screen})`);
      const person = { ...nextPerson(), description: 'Strangers get replies from my address.' };
      await fillContact(page, person, { describe: 'What is the problem?' });
      await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), TICKET_URL);
      await confirmation(page, notInGuide, person, { history: [] });
      await page.locator('main').getByText('You wrote to us without going through the guide.').waitFor();
    }));

    test('a bookmarked "contact IIMS" page in a fresh browser: the status page says it was opened directly', () => asNewVisitor(options, async (page) => {
      const problem = byId['cant-send'];
      await page.goto('/problems/cant-send/steps/contact-iims');
      assert.equal(await visitCookie(page), undefined, 'reading the page sets no cookie');
      await page.locator('.path').getByText('You opened this page directly, so no earlier steps are recorded.').waitFor();
      await escalationForm(page, problem);
      if (screen === 'phone') await screenshot(page, 'escalation-bookmarked-phone');
      await sendEscalation(page, problem, nextPerson(), {
        history: [
          (line) => line.startsWith('You opened 3) ') && line.includes(problem.ending.heading) && line.endsWith('directly (a bookmark or a link), without the steps before it'),
          (line) => line.startsWith('You reached: 3) ') && line.includes(problem.ending.heading),
        ],
      });
    }));

    test('contact details corrected on the status page', () => asNewVisitor(options, async (page) => {
      const problem = byId['password-prompts'];
      const person = nextPerson();
      await walkToEscalation(page, problem);
      const { statusUrl } = await sendEscalation(page, problem, person);
      await page.goto(statusUrl);

      const section = page.locator('section#contact');
      await section.getByRole('heading', { name: 'Your contact details' }).waitFor();
      assert.match(await section.innerText(), /an empty field keeps what we have/);
      for (const label of ['Your name', 'Email address for our reply', 'Phone number', /account or domain/]) {
        assert.equal(await section.getByLabel(label).inputValue(), '', `${label} starts empty`);
      }
      const now = (await section.locator('#email-now').innerText()).trim();
      assert.ok(now.startsWith('Now: '), now);
      assertMasked(now.slice('Now: '.length), person.email);
      await checkPage(page, `status page with the contact form (${screen})`);
      await screenshot(page, `status-contact-${screen}`);

      // A mistake is shown and nothing changes.
      await section.getByLabel('Email address for our reply').fill('not an address');
      page.expectStatus = 422;
      await follow(page, section.getByRole('button', { name: 'Save my details' }), /\/tickets\/[0-9a-f]{64}\/contact$/);
      await page.getByRole('alert').getByRole('heading', { name: 'Please check your details' }).waitFor();
      assert.equal(await page.getByLabel('Email address for our reply').getAttribute('aria-invalid'), 'true');
      assertMasked(await factValue(page, 'Your address'), person.email);
      await checkPage(page, `status page, contact details with a mistake (${screen})`);
      page.expectStatus = undefined;

      // Corrected: only the address and phone change; the empty fields keep what we have.
      const email = 'zoe.new@example.org';
      const phone = '+44 20 7946 0123 ext. 45';
      await page.getByLabel('Email address for our reply').fill(email);
      await page.getByLabel('Phone number').fill(phone);
      await follow(page, page.getByRole('button', { name: 'Save my details' }), /\/tickets\/[0-9a-f]{64}\?corrected=1(#contact)?$/);
      await page.getByRole('status').getByText('Your contact details were updated.').waitFor();
      assertMasked(await factValue(page, 'Your address'), email);
      const nowEmail = (await page.locator('#email-now').innerText()).trim();
      assertMasked(nowEmail.slice('Now: '.length), email);
      await page.locator('section#contact').getByText('Now: ending in 45', { exact: true }).waitFor();
      assert.equal(await page.getByLabel('Email address for our reply').inputValue(), '', 'the form is empty again');
      await checkPage(page, `status page, contact details updated (${screen})`);
      if (screen === 'phone') await screenshot(page, 'status-contact-updated-phone');
    }));
  });
}

test('an answer changed after the browser\'s Back button is told as changed', () => asNewVisitor(DESKTOP, async (page) => {
  const problem = byId['cant-send-or-receive'];
  const [first, second] = problem.walk;
  await pickSymptom(page, problem);
  await answerStep(page, problem, 0);
  await page.goBack();
  await page.waitForURL(/\/steps\/check-internet$/);
  await page.locator('form.choices').getByText(`You answered this step before: ${first.choose}`).waitFor();
  // The sidebar lists no earlier step, and offers the step the customer had got as far as.
  assert.equal(await page.locator('.path ol.path-list').count(), 0, 'no steps before step 1');
  const further = page.locator('.path .notice-inline');
  assert.ok((await further.innerText()).includes(`You had got as far as 2) ${second.title}`), await further.innerText());
  assert.equal(await further.getByRole('link', { name: 'Continue where you left off' }).getAttribute('href'), '/problems/cant-send-or-receive/steps/check-mail-settings');
  await checkPage(page, 'step 1 reached with Back');
  await follow(page, page.getByRole('button', { name: "I can't open a Web site" }), /\/steps\/isp$/);
  await follow(page, page.getByRole('button', { name: 'My Internet connection works again: continue the guide' }), /\/steps\/check-internet$/);
  await answerStep(page, problem, 0);
  await answerStep(page, problem, 1);
  await escalationForm(page, problem);
  await sendEscalation(page, problem, customer(250), {
    history: [
      `You chose ${problem.symptom} and began at 1) ${first.title}`,
      `1) ${first.title}: you answered ${first.choose}`,
      `1) ${first.title}: you changed your answer to I can't open a Web site (before: ${first.choose})`,
      'You reached: Contact your Internet Service Provider (ISP)',
      `You came back from the ISP referral: your Internet connection worked again; back to 1) ${first.title}`,
      `1) ${first.title}: you answered ${first.choose}`,
      `2) ${second.title}: you answered ${second.choose}`,
      (line) => line.startsWith('You reached: 3) ') && line.includes(problem.ending.heading),
    ],
  });
}));

test('a bookmarked step opened in a fresh browser, answered and escalated', () => asNewVisitor(DESKTOP, async (page) => {
  const problem = byId['cant-send'];
  const second = problem.walk[1];
  await page.goto('/problems/cant-send/steps/use-isp-smtp');
  await assertHeading(page, second.title);
  assert.equal(await visitCookie(page), undefined, 'reading a step sets no cookie');
  const note = page.locator('.path').getByText('You opened this page directly, so no earlier steps are recorded.');
  await note.waitFor();
  const start = page.locator('.path').getByRole('link', { name: 'Start from the first step' });
  assert.equal(await start.getAttribute('href'), '/problems/cant-send/steps/check-smtp-settings');
  await checkPage(page, 'a step opened from a bookmark');
  await screenshot(page, 'step-bookmarked-desktop');

  await follow(page, page.getByRole('button', { name: second.choose, exact: true }), /\/steps\/contact-iims$/);
  await escalationForm(page, problem);
  await sendEscalation(page, problem, customer(200), {
    history: [
      `You opened 2) ${second.title} directly (a bookmark or a link), without the steps before it`,
      `2) ${second.title}: you answered ${second.choose}`,
      (line) => line.startsWith('You reached: 3) ') && line.includes(problem.ending.heading),
    ],
  });
}));

test('a customer part-way through one problem is offered it again on the home page and another problem', () => asNewVisitor(DESKTOP, async (page) => {
  const problem = byId['cant-send'];
  await pickSymptom(page, problem);
  await answerStep(page, problem, 0);

  await page.goto('/');
  const notice = page.locator('main .notice');
  assert.ok((await notice.innerText()).includes(`You were working on ${problem.symptom}`), await notice.innerText());
  const resume = notice.getByRole('link', { name: 'Continue where you left off' });
  assert.equal(await resume.getAttribute('href'), '/problems/cant-send/steps/use-isp-smtp');
  await checkPage(page, 'home with a journey under way');
  await screenshot(page, 'home-resume-desktop');

  // Another problem: its step says where the customer was.
  const other = byId['cant-receive'];
  await follow(page, page.locator('a.symptom', { hasText: other.symptom }), /\/problems\/cant-receive\/steps\/check-pop3-settings$/);
  assert.equal(await progressOf(page), 'Step 1', 'one numbered step: no "of 1"');
  const elsewhere = page.locator('.path').getByText('You were working on');
  await elsewhere.waitFor();
  assert.equal(await elsewhere.getByRole('link', { name: problem.symptom }).getAttribute('href'), '/problems/cant-send/steps/use-isp-smtp');
  await checkPage(page, 'another problem while one is under way');

  await follow(page, resume.or(elsewhere.getByRole('link', { name: problem.symptom })), /\/steps\/use-isp-smtp$/);
  await assertHeading(page, problem.walk[1].title);
}));
