// The same customer journey on a 375 px phone, with JavaScript disabled, and at 320 px: every page
// fits the screen without sideways scrolling and passes the same checks.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, axeReportName, launch, openPage } from '../lib/browser.js';
import { byId, customer } from '../lib/guide.js';
import { pickSymptom, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('phone-and-no-js');

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

async function asNewVisitor(options, fn) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

test('on a 375 px phone: walked to the escalation and sent', () => asNewVisitor(PHONE, async (page) => {
  const problem = byId['cant-send'];
  await walkToEscalation(page, problem, { shots: 'phone' });
  const { reference } = await sendEscalation(page, problem, customer(1), { shots: 'phone' });
  assert.equal(reference, 'IIMS-000001');
}));

test('on a 375 px phone the answers are large, full-width buttons', () => asNewVisitor(PHONE, async (page) => {
  await pickSymptom(page, byId['same-emails-again']);
  const boxes = await page.locator('form.choices button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().toJSON()));
  assert.equal(boxes.length, 2);
  for (const box of boxes) {
    assert.ok(box.height >= 44, `a choice is at least 44 px tall (${box.height})`);
    assert.ok(box.width >= 375 - 100, `a choice spans the screen (${box.width} px)`);
  }
}));

test('with JavaScript disabled: walked to the escalation and sent', () => asNewVisitor({ javaScriptEnabled: false }, async (page) => {
  const problem = byId['download-stuck'];
  await walkToEscalation(page, problem);
  const { reference } = await sendEscalation(page, problem, customer(2));
  assert.equal(reference, 'IIMS-000002');
}));

test('with JavaScript disabled on a phone: walked to the escalation and sent', () => asNewVisitor({ ...PHONE, javaScriptEnabled: false }, async (page) => {
  const problem = byId['same-emails-again'];
  await walkToEscalation(page, problem);
  const { reference } = await sendEscalation(page, problem, customer(3));
  assert.equal(reference, 'IIMS-000003');
}));

test('at 320 px wide every page of a journey still fits', () => asNewVisitor({ viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true }, async (page) => {
  const problem = byId['cant-send-or-receive'];
  await walkToEscalation(page, problem);
  await sendEscalation(page, problem, customer(4));
}));

test('on a wide screen the step and the path sit side by side', () => asNewVisitor({ viewport: { width: 1920, height: 1080 } }, async (page) => {
  await pickSymptom(page, byId['password-prompts']);
  const step = await page.locator('article.step').boundingBox();
  const path = await page.locator('aside.sidebar').boundingBox();
  assert.ok(path.x > step.x + step.width, 'the path is beside the step');
  assert.ok(Math.abs(path.y - step.y) < 5, 'both start at the same height');
  const line = await page.locator('article.step h1').boundingBox();
  assert.ok(line.width < 1100, `lines stay readable on a wide screen (${line.width} px)`);
}));
