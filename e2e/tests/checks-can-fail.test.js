// The suite's own checks, shown to catch what they are for: each is run on a real page that has been
// broken on purpose, and must fail. A check that cannot fail proves nothing.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PHONE, axeReportName, checkA11y, checkPage, focused, launch, openPage } from '../lib/browser.js';
import { assertHistory, assertMasked } from '../lib/journey.js';
import { startServer } from '../lib/server.js';

axeReportName('checks-can-fail');

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

async function onHome(options, fn) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    await page.goto('/');
    await fn(page);
  } finally {
    await context.close();
  }
}

test('axe-core fails a page with an unlabelled field and low-contrast text', () => onHome({}, async (page) => {
  await checkA11y(page, 'home as served');
  await page.evaluate(() => {
    const field = document.createElement('input');
    field.type = 'text';
    const faint = document.createElement('p');
    faint.textContent = 'Hard to read';
    faint.style.color = '#d0d0d0';
    document.querySelector('main').append(field, faint);
  });
  await assert.rejects(checkA11y(page, 'home, broken on purpose'), (err) => {
    assert.match(err.message, /label/);
    assert.match(err.message, /color-contrast/);
    return true;
  });
}));

test('the page checks fail on sideways scrolling, a missing lang and a second h1', () => onHome(PHONE, async (page) => {
  await page.evaluate(() => {
    const wide = document.createElement('div');
    wide.style.width = '600px';
    wide.textContent = 'wide';
    document.querySelector('main').append(wide);
  });
  await assert.rejects(checkPage(page, 'too wide'), /horizontal scrolling/);
  await page.reload();
  await page.evaluate(() => document.documentElement.removeAttribute('lang'));
  await assert.rejects(checkPage(page, 'no lang'), /lang/);
  await page.reload();
  await page.evaluate(() => document.querySelector('main').append(document.createElement('h1')));
  await assert.rejects(checkPage(page, 'two h1'), /exactly one h1/);
}));

test('the page checks fail without a main landmark, without a title, and on a lang other than en', () => onHome({}, async (page) => {
  await checkPage(page, 'home as served');
  await page.evaluate(() => {
    const main = document.querySelector('main');
    const div = document.createElement('div');
    div.append(...main.childNodes);
    main.replaceWith(div);
  });
  await assert.rejects(checkPage(page, 'no main'), /one main landmark/);
  await page.reload();
  await page.evaluate(() => { document.title = ''; });
  await assert.rejects(checkPage(page, 'no title'), /a page title/);
  for (const lang of ['fr', 'en-x-broken', 'EN ']) {
    await page.reload();
    await page.evaluate((l) => document.documentElement.setAttribute('lang', l), lang);
    await assert.rejects(checkPage(page, `lang ${JSON.stringify(lang)}`), /<html lang>/);
  }
}));

test('the clean-load check fails on a console error and on an uncaught page error', async () => {
  await onHome({}, async (page) => {
    await page.evaluate(() => console.error('broken on purpose'));
    await assert.rejects(checkPage(page, 'console error'), /console error on .*broken on purpose/);
  });
  await onHome({}, async (page) => {
    await page.evaluate(() => setTimeout(() => { throw new Error('thrown on purpose'); }));
    await page.waitForTimeout(100);
    await assert.rejects(checkPage(page, 'page error'), /page error on .*thrown on purpose/);
  });
});

test('the clean-load check fails on a request to another origin, a failed request and an HTTP error', async () => {
  // The site's own Content-Security-Policy would stop the first; bypassed here to see the check.
  await onHome({ bypassCSP: true }, async (page) => {
    await page.evaluate(() => { new Image().src = 'http://127.0.0.2:9/elsewhere.png'; });
    await page.waitForTimeout(200);
    await assert.rejects(checkPage(page, 'another origin'), /request to another origin: http:\/\/127\.0\.0\.2:9\/elsewhere\.png/);
  });
  await onHome({}, async (page) => {
    // Same-origin images are what the page's policy allows.
    await page.route('**/static/broken-on-purpose.png', (route) => route.abort('failed'));
    await page.evaluate(() => { new Image().src = '/static/broken-on-purpose.png'; });
    await page.waitForTimeout(200);
    await assert.rejects(checkPage(page, 'failed request'), /request failed: .*broken-on-purpose\.png \(net::ERR_FAILED\)/);
  });
  await onHome({}, async (page) => {
    await page.evaluate(() => { new Image().src = '/static/missing.png'; });
    await page.waitForTimeout(200);
    await assert.rejects(checkPage(page, 'HTTP error'), /HTTP 404 for .*\/static\/missing\.png/);
  });
});

test('the focus check sees a focus ring removed', () => onHome({}, async (page) => {
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).indicator, true, 'the skip link shows its focus');
  await page.evaluate(() => {
    const el = document.activeElement;
    el.style.outline = 'none';
    el.style.boxShadow = 'none';
  });
  assert.equal((await focused(page)).indicator, false, 'a removed focus ring is noticed');
}));

test('the history check fails on a line missing, out of order or reworded', () => {
  const said = ['You chose A and began at 1) One', '1) One: you answered Yes', 'You reached: 2) Two'];
  const reached = (line) => line.startsWith('You reached: 2) ');
  assertHistory(said, ['You chose A and began at 1) One', '1) One: you answered Yes', reached]);
  assert.throws(() => assertHistory(said.slice(0, 2), ['You chose A and began at 1) One', '1) One: you answered Yes', reached]), /3 history lines/);
  assert.throws(() => assertHistory([said[1], said[0], said[2]], ['You chose A and began at 1) One', '1) One: you answered Yes', reached]), /history line 1/);
  assert.throws(() => assertHistory(said, ['You chose A and began at 1) One', '1) One: you answered No', reached]), /history line 2/);
  assert.throws(() => assertHistory(said, ['You chose A and began at 1) One', '1) One: you answered Yes', (line) => line.startsWith('You reached: 3) ')]), /history line 3/);
  assert.throws(() => assertMasked('ann@example.com', 'ann@example.com'), /masked/);
});
