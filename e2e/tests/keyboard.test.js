// Keyboard only: a whole problem walked with Tab and Enter, from the home page to the confirmation.
// At every stop the focus must be visible: :focus-visible matches, an outline or ring is drawn, and
// the focused element is on screen.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { axeReportName, checkPage, focused, launch, openPage } from '../lib/browser.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, confirmation } from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('keyboard');

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

/**
 * Presses Tab until `wanted` matches what has the focus, checking every stop on the way; fails
 * after `limit` presses. Returns the stops.
 */
async function tabTo(page, wanted, limit = 30) {
  const stops = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    assert.ok(f, `Tab ${i + 1} focuses something on ${page.url()}`);
    stops.push(f);
    assert.ok(f.focusVisible, `the focus is visible (:focus-visible) on ${f.tag} "${f.text}"`);
    assert.ok(f.indicator, `a focus indicator is drawn on ${f.tag} "${f.text}" (${f.outline})`);
    assert.ok(f.onScreen, `the focused ${f.tag} "${f.text}" is on screen`);
    if (wanted(f)) return stops;
  }
  assert.fail(`no focus stop matched within ${limit} Tabs on ${page.url()}; stops: ${stops.map((s) => `${s.tag} "${s.text}"`).join(', ')}`);
}

const byText = (text) => (f) => f.text.includes(text);
const hasId = (id) => (f) => f.id === id;

async function pressEnterAndWait(page, url) {
  await Promise.all([page.waitForURL(url), page.keyboard.press('Enter')]);
  await page.waitForLoadState('load');
}

test('a problem walked with Tab and Enter alone, focus always visible', async () => {
  const { context, page } = await openPage(browser, server.url);
  try {
    const problem = byId['cant-send'];
    const person = customer(7);
    await page.goto('/');
    await checkPage(page, 'home, before the keyboard walk');

    // The first Tab reaches the skip link, and it takes the focus to the main content.
    const [skip] = await tabTo(page, () => true, 1);
    assert.equal(skip.text, 'Skip to main content');
    await page.keyboard.press('Enter');
    assert.equal((await focused(page))?.id, 'main', 'the skip link moves focus to <main>');

    // Home: Tab to the symptom, Enter.
    await tabTo(page, byText(problem.symptom));
    await pressEnterAndWait(page, /\/steps\/check-smtp-settings$/);
    await assertHeading(page, problem.walk[0].title);
    await checkPage(page, 'step 1 reached by keyboard');

    // Step 1: the checklist is a list to read, so no Tab stops in it; straight on to the answers.
    assert.ok((await page.locator('ol.checklist li').count()) > 1, 'a lettered checklist');
    const stops = await tabTo(page, byText(problem.walk[0].choose));
    assert.ok(stops.every((f) => f.tag !== 'input'), `no checklist boxes on the way: ${stops.map((f) => f.tag)}`);
    await pressEnterAndWait(page, /\/steps\/use-isp-smtp$/);
    await assertHeading(page, problem.walk[1].title);
    await checkPage(page, 'step 2 reached by keyboard');

    // Step 2.
    await tabTo(page, byText(problem.walk[1].choose));
    await pressEnterAndWait(page, /\/steps\/contact-iims$/);
    await assertHeading(page, problem.ending.heading);
    await checkPage(page, 'escalation form reached by keyboard');

    // The form: each field in order, typed into; the program chosen by typing its first letters.
    await tabTo(page, hasId('name'));
    await page.keyboard.type(person.name);
    await tabTo(page, hasId('email'), 1);
    await page.keyboard.type(person.email);
    await tabTo(page, hasId('phone'), 1);
    await page.keyboard.type(person.phone);
    await tabTo(page, hasId('account'), 1);
    await page.keyboard.type(person.account);
    await tabTo(page, hasId('email_program'), 1);
    await page.keyboard.type('Mozilla');
    assert.equal(await page.locator('#email_program').inputValue(), person.program);
    await tabTo(page, hasId('description'), 1);
    await page.keyboard.type(person.description);
    await tabTo(page, byText('Send to IIMS'), 1);
    await pressEnterAndWait(page, /\/tickets\/[0-9a-f]{64}\?sent=1$/);

    const { reference } = await confirmation(page, problem, person);
    assert.equal(reference, 'IIMS-000001');

    // The status page's own link is reachable too.
    await tabTo(page, byText('Back to all problems'));
    await pressEnterAndWait(page, /\/$/);
    await assertHeading(page, 'Email troubleshooting guide');
    await checkPage(page, 'home, after the keyboard walk');
  } finally {
    await context.close();
  }
});

test('the path beside a step is worked by keyboard: back a step, start over', async () => {
  const { context, page } = await openPage(browser, server.url);
  try {
    const problem = byId['cant-send-or-receive'];
    await page.goto('/');
    await tabTo(page, byText(problem.symptom));
    await pressEnterAndWait(page, /\/steps\/check-internet$/);
    await tabTo(page, byText(problem.walk[0].choose));
    await pressEnterAndWait(page, /\/steps\/check-mail-settings$/);
    await tabTo(page, byText('Back a step'));
    await pressEnterAndWait(page, /\/steps\/check-internet$/);
    await assertHeading(page, problem.walk[0].title);
    await checkPage(page, 'step 1, gone back to by keyboard');
    // Gone back, step 1 is open again; answered again, step 2 offers to start over.
    await tabTo(page, byText(problem.walk[0].choose));
    await pressEnterAndWait(page, /\/steps\/check-mail-settings$/);
    await tabTo(page, byText('Start this problem over'));
    await pressEnterAndWait(page, /\/steps\/check-internet$/);
    await page.getByText('Nothing yet: this is the first step.').waitFor();
    await checkPage(page, 'step 1, started over by keyboard');
  } finally {
    await context.close();
  }
});
