// Signing in to the console as a manager does it, and a test file's server with its admin, for
// the browser tests.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { checkPage, inPage, launch } from './browser.js';
import { assertHeading, follow } from './journey.js';
import { helpdeskCli, startServer } from './server.js';

/**
 * For the test file that calls it: a server (started with `args`) with `admin` as its one admin
 * account, and a browser, both closed after the file's tests. `session(options, fn)` runs `fn` on
 * a fresh page of that browser.
 */
export function serverWithAdmin(admin, { args = [] } = {}) {
  const site = {};
  before(async () => {
    site.server = await startServer({ args });
    site.browser = await launch();
    helpdeskCli(site.server, ['manager', 'add', '--email', admin.email, '--name', admin.name, '--role', 'admin', '--password-stdin'], `${admin.password}\n`);
  });
  after(async () => {
    await site.browser?.close();
    await site.server?.stop();
  });
  site.session = (options, fn) => inPage(site.browser, site.server.url, options, fn);
  return site;
}

/** Signs in through the form the console sends us to, and lands on the queue. */
export async function signIn(page, who) {
  await page.goto('/console/tickets');
  assert.match(page.url(), /\/console\/sign-in\?next=/, 'the console asks for a sign-in first');
  await assertHeading(page, 'Sign in');
  await checkPage(page, 'console sign-in');
  await page.getByLabel('Email address').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await follow(page, page.getByRole('button', { name: 'Sign in' }), /\/console\/tickets$/);
  await assertHeading(page, 'Ticket queue');
}
