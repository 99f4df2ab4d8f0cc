// A customer's journey through the guide, as a person does it: read the page, press a button.
// Every page on the way is checked (checkPage: landmarks, title, axe-core) before moving on.

import assert from 'node:assert/strict';
import { checkPage, screenshot } from './browser.js';
import { progressLabel, somethingElse } from './guide.js';

const STEP_URL = /\/problems\/[a-z0-9-]+\/steps\/[a-z0-9-]+$/;
export const TICKET_URL = /\/tickets\/[0-9a-f]{64}\?sent=1$/;
export const VISIT_COOKIE = 'helpdesk_visit';

/** The step's progress label as written ("Step 2 of 3"); the style shows it in capitals. */
export async function progressOf(page) {
  return (await page.locator('article.step .progress').textContent()).replace(/\s+/g, ' ').trim();
}

/** The visit cookie the browser holds for the site, if any. */
export async function visitCookie(page) {
  return (await page.context().cookies()).find((c) => c.name === VISIT_COOKIE);
}

/** Every form on the page carries a token; before the visit has started it is `new-<uuid>`. */
export async function csrfTokens(page) {
  // getAttribute, not evaluate: it also works with JavaScript disabled.
  const fields = await page.locator('input[type=hidden][name=csrf]').all();
  return Promise.all(fields.map((f) => f.getAttribute('value')));
}
const NEW_VISIT_TOKEN = /^new-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Clicks and waits for the page that the form or link leads to. */
export async function follow(page, locator, url) {
  await Promise.all([page.waitForURL(url), locator.click()]);
  await page.waitForLoadState('load');
}

/**
 * The home page: the six symptoms and "something else", all links; reading it sets no cookie.
 * Picks `problem`'s symptom and lands on its first step.
 */
export async function pickSymptom(page, problem, { shots } = {}) {
  const before = await visitCookie(page);
  await page.goto('/');
  await assertHeading(page, 'Email troubleshooting guide');
  assert.match(await page.title(), /Email troubleshooting guide · IIMS Help/);
  await checkPage(page, 'home');
  const entries = page.locator('ul.symptoms a.symptom');
  assert.equal(await entries.count(), 7, 'six symptoms and "something else" on the home page');
  assert.equal(await page.locator('ul.symptoms button').count(), 0, 'the symptoms are links, not buttons');
  const other = page.locator('a.symptom', { hasText: somethingElse.symptom });
  assert.equal(await other.getAttribute('href'), '/contact');
  if (!before) assert.equal(await visitCookie(page), undefined, 'reading the home page sets no cookie');
  if (shots) await screenshot(page, `home-${shots}`);
  const link = page.locator('a.symptom', { hasText: problem.symptom });
  assert.match(await link.getAttribute('href'), new RegExp(`^/problems/${problem.id}/steps/[a-z0-9-]+$`));
  await follow(page, link, STEP_URL);
  if (!before) {
    assert.equal(await visitCookie(page), undefined, 'opening a step sets no cookie either');
    const tokens = await csrfTokens(page);
    assert.ok(tokens.length > 0 && tokens.every((t) => NEW_VISIT_TOKEN.test(t)), `forms carry a new-visit token: ${tokens}`);
  }
}

/** Reads step `i` of the walk (title, progress, page title) and presses the chosen answer. */
export async function answerStep(page, problem, i, { shots, next = STEP_URL } = {}) {
  const step = problem.walk[i];
  await assertHeading(page, step.title);
  const progress = progressLabel(problem, i);
  assert.equal(await progressOf(page), progress);
  const title = await page.title();
  assert.ok(title.startsWith(`${progress}: `), `the page title names the step: ${title}`);
  // The checklist is a plain lettered list to read, nothing to tick.
  assert.equal(await page.locator('article.step input[type=checkbox]').count(), 0, 'no checkboxes on a step');
  assert.ok(title.includes(step.title.slice(0, 30)), `the page title names the step: ${title}`);
  // The path so far: every earlier answer is listed beside the step.
  for (const earlier of problem.walk.slice(0, i)) {
    await page.locator('.path').getByText(`You answered: ${earlier.choose}`).waitFor();
  }
  await checkPage(page, `${problem.id} step ${i + 1}`);
  if (shots) await screenshot(page, `step-${shots}`);
  await follow(page, page.getByRole('button', { name: step.choose, exact: true }), next);
  assert.ok(await visitCookie(page), 'an answer starts the visit and sets its cookie');
}

/** Walks a problem from the home page to its escalation form. */
export async function walkToEscalation(page, problem, { shots } = {}) {
  await pickSymptom(page, problem, { shots });
  for (let i = 0; i < problem.walk.length; i++) {
    await answerStep(page, problem, i, { shots: i === 0 ? shots : undefined });
  }
  await escalationForm(page, problem);
  if (shots) await screenshot(page, `escalation-${shots}`);
}

/** The ending page with its escalation form: the guide's words, not its internal reason. */
export async function escalationForm(page, problem) {
  await assertHeading(page, problem.ending.heading);
  const h1 = await page.getByRole('heading', { level: 1 }).innerText();
  assert.doesNotMatch(h1, /^\s*\d+\)/, `the heading carries no step number: ${h1}`);
  assert.equal(await progressOf(page), problem.ending.progress);
  await page.getByRole('heading', { name: 'What happens next' }).waitFor();
  assert.ok(!(await page.locator('main').innerText()).includes(problem.ending.reason), "the guide's internal reason is not shown");
  const program = page.getByLabel('The email program you use');
  assert.equal(await program.inputValue(), '', 'no email program is chosen for the customer');
  assert.equal((await program.locator('option:checked').innerText()).trim(), 'Choose one');
  assert.equal(await program.getAttribute('required'), '', 'the email program is required');
  await checkPage(page, `${problem.id} escalation form`);
}

/** Types a person's details into the escalation or contact form, by the fields' labels. */
export async function fillContact(page, person, { describe = 'Anything else we should know?' } = {}) {
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email address for our reply').fill(person.email);
  await page.getByLabel('Phone number').fill(person.phone);
  await page.getByLabel(/account or domain/).fill(person.account);
  await page.getByLabel('The email program you use').selectOption(person.program);
  await page.getByLabel(describe).fill(person.description);
}

/** Fills in the escalation form by its labels and sends it; returns the reference and status URL. */
export async function sendEscalation(page, problem, person, options = {}) {
  await fillContact(page, person);
  await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), TICKET_URL);
  return confirmation(page, problem, person, options);
}

/** What the customer did in the guide, as a problem walked straight to its escalation reads. */
export function walkedHistory(problem) {
  return [
    `You chose ${problem.symptom} and began at 1) ${problem.walk[0].title}`,
    ...problem.walk.map((step, i) => `${i + 1}) ${step.title}: you answered ${step.choose}`),
    (line) => line.startsWith('You reached: ') && line.includes(problem.ending.heading),
  ];
}

/** The lines of the status page's "What you did in the guide", or the console's full history. */
export async function historyLines(page) {
  const texts = await page.locator('ol.history .history-what').allInnerTexts();
  return texts.map((t) => t.replace(/\s+/g, ' ').trim());
}

/** Asserts the history lines, in order: each expected entry a string (exact) or a predicate. */
export function assertHistory(lines, expected) {
  assert.equal(lines.length, expected.length, `${expected.length} history lines, got:\n  ${lines.join('\n  ')}`);
  expected.forEach((want, i) => {
    if (typeof want === 'function') assert.ok(want(lines[i]), `history line ${i + 1}: ${lines[i]}`);
    else assert.equal(lines[i], want, `history line ${i + 1}`);
  });
}

/** `ann@example.com` as the status page shows it: the first letter, stars, the domain. */
export function assertMasked(shown, email) {
  const [local, domain] = email.split('@');
  assert.match(shown, new RegExp(`^${local[0]}\\*+@${domain.replace(/\./g, '\\.')}$`), `a masked address: ${shown}`);
  assert.ok(!shown.includes(local), 'the address is not shown whole');
}

/**
 * The confirmation page: the reference, the status, what the customer said and did.
 * `history` is what "What you did in the guide" must list (default: the walk, straight).
 */
export async function confirmation(page, problem, person, { shots, history = walkedHistory(problem), kind = problem.ending.kind } = {}) {
  const heading = await page.getByRole('heading', { level: 1 }).innerText();
  const m = heading.match(/^We've got it: your reference is (IIMS-\d{6})$/);
  assert.ok(m, `confirmation heading with a reference: ${heading}`);
  const reference = m[1];
  assert.match(await page.title(), new RegExp(`^Ticket ${reference} · IIMS Help$`));
  assert.equal(await factValue(page, 'Status'), 'Received');
  assert.equal(await factValue(page, 'Problem'), problem.symptom);
  assert.equal(await factValue(page, 'Sent to'), kind);
  assert.equal(await factValue(page, 'Email program'), person.program);
  assertMasked(await factValue(page, 'Your address'), person.email);
  if (person.description) assert.equal(await factValue(page, 'What you told us'), person.description);
  const main = await page.locator('main').innerText();
  // The site sends no email, so nothing on the page says one is coming.
  assert.doesNotMatch(main, /will reply to|we('ll| will) (e-?mail|write to) you|you('ll| will) (get|receive) an? (e-?mail|reply)/i, 'no promise of a mail');
  if (problem.ending?.reason) assert.ok(!main.includes(problem.ending.reason), "the guide's internal reason is not shown");
  await page.getByRole('heading', { name: 'What you did in the guide' }).waitFor();
  if (history) assertHistory(await historyLines(page), history);
  await checkPage(page, `${problem.id} confirmation`);
  if (shots) await screenshot(page, `confirmation-${shots}`);
  return { reference, statusUrl: new URL(page.url()).pathname };
}

/** The text of a `<dt>`'s `<dd>` in the ticket facts, the status part alone for "Status". */
export async function factValue(page, term) {
  const dd = page.locator(`xpath=//dl[contains(@class,"facts")]/dt[normalize-space()="${term}"]/following-sibling::dd[1]`);
  if (term === 'Status') return (await dd.locator('.status').innerText()).trim();
  return (await dd.innerText()).trim();
}

export async function assertHeading(page, text) {
  const h1 = (await page.getByRole('heading', { level: 1 }).innerText()).replace(/\s+/g, ' ').trim();
  assert.ok(h1.includes(text), `the page's heading is "${text}", got "${h1}"`);
}
