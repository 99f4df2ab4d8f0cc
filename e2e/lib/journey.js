// A customer's journey through the guide, as a person does it: read the page, press a button.
// Every page on the way is checked (checkPage: landmarks, title, axe-core) before moving on.

import assert from 'node:assert/strict';
import { checkPage, screenshot } from './browser.js';

const STEP_URL = /\/problems\/[a-z0-9-]+\/steps\/[a-z0-9-]+$/;
const TICKET_URL = /\/tickets\/[0-9a-f]{64}\?sent=1$/;

/** Clicks and waits for the page that the form or link leads to. */
export async function follow(page, locator, url) {
  await Promise.all([page.waitForURL(url), locator.click()]);
  await page.waitForLoadState('load');
}

/** The home page: the six symptoms; picks `problem`'s and lands on its first step. */
export async function pickSymptom(page, problem, { shots } = {}) {
  await page.goto('/');
  await assertHeading(page, 'Email troubleshooting guide');
  assert.match(await page.title(), /Email troubleshooting guide · IIMS Help/);
  await checkPage(page, 'home');
  assert.equal(await page.locator('.symptoms button').count(), 6, 'six symptoms on the home page');
  if (shots) await screenshot(page, `home-${shots}`);
  await follow(page, page.getByRole('button', { name: problem.symptom }), STEP_URL);
}

/** Reads step `i` of the walk (title, progress, page title) and presses the chosen answer. */
export async function answerStep(page, problem, i, { shots, next = STEP_URL } = {}) {
  const step = problem.walk[i];
  await assertHeading(page, step.title);
  await assert.doesNotReject(page.getByText(`Step ${i + 1} of ${problem.steps}`, { exact: true }).waitFor());
  const title = await page.title();
  assert.ok(title.startsWith(`Step ${i + 1}: `), `the page title names the step: ${title}`);
  assert.ok(title.includes(step.title.slice(0, 30)), `the page title names the step: ${title}`);
  // The path so far: every earlier answer is listed beside the step.
  for (const earlier of problem.walk.slice(0, i)) {
    await page.locator('.path').getByText(`You answered: ${earlier.choose}`).waitFor();
  }
  await checkPage(page, `${problem.id} step ${i + 1}`);
  if (shots) await screenshot(page, `step-${shots}`);
  await follow(page, page.getByRole('button', { name: step.choose, exact: true }), next);
}

/** Walks a problem from the home page to its escalation form. */
export async function walkToEscalation(page, problem, { shots } = {}) {
  await pickSymptom(page, problem, { shots });
  for (let i = 0; i < problem.walk.length; i++) {
    await answerStep(page, problem, i, { shots: i === 0 ? shots : undefined });
  }
  await assertHeading(page, problem.ending.heading);
  await page.getByText(problem.ending.kind, { exact: true }).first().waitFor();
  await page.getByRole('heading', { name: 'What happens next' }).waitFor();
  await checkPage(page, `${problem.id} escalation form`);
  if (shots) await screenshot(page, `escalation-${shots}`);
}

/** Fills in the escalation form by its labels and sends it; returns the reference and status URL. */
export async function sendEscalation(page, problem, person, { shots } = {}) {
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Email address for our reply').fill(person.email);
  await page.getByLabel('Phone number').fill(person.phone);
  await page.getByLabel(/account or domain/).fill(person.account);
  await page.getByLabel('The email program you use').selectOption(person.program);
  await page.getByLabel('Anything else we should know?').fill(person.description);
  await follow(page, page.getByRole('button', { name: 'Send to IIMS' }), TICKET_URL);
  return confirmation(page, problem, person, { shots });
}

/** The confirmation page: the reference, the status, what the customer said and tried. */
export async function confirmation(page, problem, person, { shots } = {}) {
  const heading = await page.getByRole('heading', { level: 1 }).innerText();
  const m = heading.match(/^We've got it: your reference is (IIMS-\d{6})$/);
  assert.ok(m, `confirmation heading with a reference: ${heading}`);
  const reference = m[1];
  assert.match(await page.title(), new RegExp(`^Ticket ${reference} · IIMS Help$`));
  const main = page.locator('main');
  await main.getByText(`will reply to ${person.email[0]}`).waitFor();
  assert.equal(await factValue(page, 'Status'), 'Received');
  assert.equal(await factValue(page, 'Problem'), problem.symptom);
  assert.equal(await factValue(page, 'Sent to'), problem.ending.kind);
  assert.equal(await factValue(page, 'Email program'), person.program);
  assert.equal(await factValue(page, 'What you told us'), person.description);
  const tried = await page.locator('section', { has: page.getByRole('heading', { name: 'What you already tried' }) }).innerText();
  for (const step of problem.walk) {
    assert.ok(tried.includes(step.title), `the path lists "${step.title}"`);
    assert.ok(tried.includes(`You answered: ${step.choose}`), `the path lists the answer "${step.choose}"`);
  }
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
