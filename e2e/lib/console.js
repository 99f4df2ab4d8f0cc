// Signing in to the console as a manager does it, for the browser tests.

import assert from 'node:assert/strict';
import { checkPage } from './browser.js';
import { assertHeading, follow } from './journey.js';

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
