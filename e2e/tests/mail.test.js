// Mail, seen from the browser: a customer escalates on a server with mail on and is told the
// link is mailed; the acknowledgement reaches a real SMTP server; the manager sees it on the
// ticket as sent, and chooses the mail they get. At desktop and phone widths, axe clean.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { DESKTOP, PHONE, axeReportName, checkPage, launch, openPage, screenshot, screenshotDir } from '../lib/browser.js';
import { signIn } from '../lib/console.js';
import { byId, customer } from '../lib/guide.js';
import { assertHeading, follow, sendEscalation, walkToEscalation } from '../lib/journey.js';
import { helpdeskCli, startServer } from '../lib/server.js';
import { startSmtp } from '../lib/smtp.js';

axeReportName('mail');

const RAY = { email: 'ray@example.com', name: 'Ray Manager', password: 'ray-long-password-123' };

let smtp;
let server;
let browser;
before(async () => {
  smtp = await startSmtp();
  server = await startServer({
    args: ['--smtp-url', smtp.url, '--mail-from', 'IIMS Support <support@iims.example>', '--public-url', 'http://help.iims.example', '--mail-retry-seconds', '1'],
  });
  browser = await launch();
  helpdeskCli(server, ['manager', 'add', '--email', RAY.email, '--name', RAY.name, '--role', 'admin', '--password-stdin'], `${RAY.password}\n`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await smtp?.stop();
});

async function session(options, fn) {
  const { context, page } = await openPage(browser, server.url, options);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

test('the acknowledgement is mailed, and the manager sees it and chooses their mail', async () => {
  const problem = byId['cant-send'];
  const person = customer(21);
  const { reference } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    const sent = await sendEscalation(page, problem, person);
    await page.getByText(/We are also mailing your reference and this link to /).waitFor();
    return sent;
  });
  const mails = await smtp.waitFor(1);
  assert.equal(mails.length, 1, 'one acknowledgement');
  assert.deepEqual(mails[0].to, [person.email]);
  assert.ok(mails[0].raw.includes(`[${reference}]`), 'the reference is in the subject');

  for (const [options, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    await session(options, async (page) => {
      await signIn(page, RAY);
      await page.goto(`/console/tickets/${Number(reference.slice(-6))}`);
      await assertHeading(page, reference);
      const mailSection = page.locator('#mails');
      await mailSection.getByText('Acknowledgement to the customer').waitFor();
      await mailSection.getByText('Sent', { exact: true }).waitFor();
      await mailSection.getByText(person.email).waitFor();
      await checkPage(page, `console ticket with its mails (${width})`);
      await screenshot(page, `ticket-mails-${width}`);
      await mailSection.screenshot({ path: path.join(screenshotDir, `ticket-mails-section-${width}.png`), animations: 'disabled' });

      await page.goto('/console/account/mail');
      await assertHeading(page, 'Your mail settings');
      assert.equal(await page.getByLabel('a ticket is routed or assigned to me').isChecked(), true);
      assert.equal(await page.getByLabel('a new ticket arrives that nobody holds').isChecked(), width === 'phone');
      await checkPage(page, `mail settings (${width})`);
      if (width === 'desktop') {
        await page.getByLabel('a new ticket arrives that nobody holds').check();
        await follow(page, page.getByRole('button', { name: 'Save mail settings' }), /\/console\/account\/mail\?saved=1$/);
        await page.getByText('Your mail settings were saved.').waitFor();
        assert.equal(await page.getByLabel('a new ticket arrives that nobody holds').isChecked(), true);
        await checkPage(page, 'mail settings saved');
      }
      await screenshot(page, `mail-settings-${width}`);
    });
  }
});
