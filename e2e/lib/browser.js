// Headless Chromium through playwright-core, with the checks every journey applies to every page:
// axe-core (no serious or critical violation), nothing loaded from another origin, no console
// error (a CSP refusal is one), and screenshots for review.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.js';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Where screenshots and the accessibility report go. */
export const outDir = path.resolve(process.env.E2E_OUT_DIR || path.join(repoRoot, 'target', 'e2e'));
export const screenshotDir = path.join(outDir, 'screenshots');

export const DESKTOP = { viewport: { width: 1280, height: 860 } };
export const PHONE = {
  viewport: { width: 375, height: 740 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Launches the system Chromium ($CHROMIUM_PATH, default /usr/bin/chromium). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A fresh browser context (its own cookies) on `baseURL`, and a page in it that is watched:
 * `page.checkClean()` fails on any console error, failed request, or request to another origin.
 */
/** Runs `fn(page)` in a fresh browser context on `baseURL`; closes it afterwards. */
export async function inPage(browser, baseURL, options, fn) {
  const { context, page } = await openPage(browser, baseURL, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

export async function openPage(browser, baseURL, options = {}) {
  const contextOptions = {
    baseURL,
    locale: 'en-GB',
    colorScheme: 'light',
    reducedMotion: 'reduce',
    ...DESKTOP,
    ...options,
  };
  const context = await browser.newContext(contextOptions);
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  page.jsDisabled = contextOptions.javaScriptEnabled === false;
  page.mirrorOn = { browser, contextOptions: { ...contextOptions, javaScriptEnabled: true } };
  const problems = [];
  const origin = new URL(baseURL).origin;
  page.on('console', (msg) => {
    // A 4xx/5xx answer is also logged as a console error; the response handler judges those.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status')) {
      problems.push(`console error on ${page.url()}: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:')) problems.push(`request to another origin: ${u}`);
  });
  page.on('requestfailed', (req) => {
    // A navigation cancels what the previous page was still loading (its favicon, say).
    if (req.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  // page.expectStatus = 422 while a test submits a form it expects back with its mistakes.
  page.expectStatus = undefined;
  page.on('response', (res) => {
    if (res.status() >= 400 && res.status() !== page.expectStatus) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  page.checkClean = () => {
    assert.deepEqual(problems, [], 'the page loaded cleanly');
  };
  return { context, page };
}

const report = [];
let reportName = 'axe';

/** Names this test file's accessibility report (target/e2e/axe-NAME.json). */
export function axeReportName(name) {
  reportName = `axe-${name}`;
}

/**
 * Runs axe-core on the page as it is now (all rules, WCAG 2.2 AA and best practice). Fails on any
 * serious or critical violation; every finding is written to the report.
 */
export async function checkA11y(page, label) {
  const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!hasAxe) await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations', 'incomplete'],
    });
    const slim = (v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    });
    return { violations: r.violations.map(slim), incomplete: r.incomplete.map(slim) };
  });
  const entry = { label, url: page.url(), ...results };
  report.push(entry);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `${reportName}.json`), JSON.stringify(report, null, 2));
  for (const v of results.violations.filter((v) => !['serious', 'critical'].includes(v.impact))) {
    console.log(`# axe ${v.impact} on ${label}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target).join(', ')}`);
  }
  const blocking = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(
    blocking.map((v) => `${v.impact} ${v.id}: ${v.help}\n    ${v.nodes.map((n) => `${n.target}: ${n.summary}`).join('\n    ')}`),
    [],
    `axe-core found serious or critical violations on ${label} (${page.url()})`,
  );
}

/**
 * With JavaScript disabled nothing can be evaluated in the page, so the checks run on a mirror: the
 * same document, at the same URL and viewport, with the same stylesheet, in a context that has it.
 */
async function mirror(page) {
  const html = await page.content();
  const context = await page.mirrorOn.browser.newContext(page.mirrorOn.contextOptions);
  const copy = await context.newPage();
  const url = page.url();
  await copy.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }), { times: 1 });
  await copy.goto(url);
  copy.checkClean = () => {};
  return { copy, close: () => context.close() };
}

/** Checks the things every page owes a person: lang, a title, one h1, landmarks, no sideways scroll. */
export async function checkPage(page, label) {
  if (page.jsDisabled) {
    page.checkClean();
    const { copy, close } = await mirror(page);
    try {
      return await checkPage(copy, `${label} (no JavaScript)`);
    } finally {
      await close();
    }
  }
  const facts = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.title,
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()),
    main: document.querySelectorAll('main').length,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    // The deepest element that reaches furthest past the right edge, to say what is too wide.
    widest: (() => {
      const edge = document.documentElement.clientWidth;
      let worst = null;
      for (const el of document.body.querySelectorAll('*')) {
        const r = el.getBoundingClientRect().right;
        if (r > edge + 0.5 && (!worst || r >= worst.r)) worst = { r, el };
      }
      if (!worst) return '';
      const el = worst.el;
      return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (right edge at ${Math.round(worst.r)}px)`;
    })(),
  }));
  assert.equal(facts.lang, 'en', `${label}: <html lang>`);
  assert.ok(facts.title.length > 5, `${label}: a page title`);
  assert.equal(facts.h1.length, 1, `${label}: exactly one h1, got ${JSON.stringify(facts.h1)}`);
  assert.equal(facts.main, 1, `${label}: one main landmark`);
  assert.ok(facts.overflow <= 0, `${label}: no horizontal scrolling (${facts.overflow}px too wide: ${facts.widest})`);
  page.checkClean();
  await checkA11y(page, label);
  return facts;
}

/** Saves a full-page screenshot as target/e2e/screenshots/NAME.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

/** What has the keyboard focus, and whether a sighted person can see it. */
export async function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    return {
      tag: el.tagName.toLowerCase(),
      id: el.id,
      text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' '),
      focusVisible: el.matches(':focus-visible'),
      indicator: outline || shadow,
      outline: `${cs.outlineStyle} ${cs.outlineWidth} ${cs.outlineColor}`,
      onScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth,
    };
  });
}
