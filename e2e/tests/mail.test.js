// Mail, seen from the browser: a customer escalates on a server with mail on and is told the
// link is mailed; the acknowledgement reaches a real SMTP server; the manager sees it on the
// ticket as sent, and chooses the mail they get. At desktop and phone widths, axe clean.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { DESKTOP, PHONE, axeReportName, checkPage, inPage, launch, screenshot, screenshotDir } from '../lib/browser.js';
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

const session = (options, fn) => inPage(browser, server.url, options, fn);

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

test('a manager replies, the customer reads it on their page and answers', async () => {
  const problem = byId['download-stuck'];
  const person = customer(22);
  const { reference, statusUrl } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, person);
  });
  const number = Number(reference.slice(-6));
  const before = smtp.received().length;

  await session({}, async (page) => {
    await signIn(page, RAY);
    await page.goto(`/console/tickets/${number}`);
    await assertHeading(page, reference);
    await page.getByLabel('Internal note (never shown to the customer)').fill('Internal: check the mailbox size first.');
    await follow(page, page.getByRole('button', { name: 'Add internal note' }), /\/console\/tickets\/\d+(#notes)?$/);
    await page.getByLabel('Reply to the customer').fill('Your mailbox is full. Delete a few large messages, then try again.');
    await follow(page, page.getByRole('button', { name: 'Send reply to the customer' }), /\/console\/tickets\/\d+(#conversation)?$/);
    await page.locator('#conversation').getByText('Your mailbox is full.', { exact: false }).waitFor();
    await checkPage(page, 'console ticket after a reply');
    await page.locator('#conversation').screenshot({ path: path.join(screenshotDir, 'ticket-conversation-desktop.png'), animations: 'disabled' });
  });
  const mails = await smtp.waitFor(before + 1);
  const reply = mails.slice(before).find((m) => m.to[0] === person.email);
  assert.ok(reply, 'the reply is mailed to the customer');
  assert.ok(reply.raw.includes('Your mailbox is full.'));
  assert.ok(!reply.raw.includes('check the mailbox size'), 'never the internal note');

  for (const [options, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    await session(options, async (page) => {
      await page.goto(statusUrl);
      const conversation = page.locator('#conversation');
      await conversation.getByText('Your mailbox is full.', { exact: false }).waitFor();
      assert.ok(!(await page.locator('main').innerText()).includes('check the mailbox size'), 'the note stays in the console');
      if (width === 'desktop') {
        await page.getByLabel(/^Write to /).fill('Done: I deleted the big attachments and it downloads again.');
        await follow(page, page.getByRole('button', { name: 'Send message' }), /\?replied=1(#conversation)?$/);
        await page.getByText('Your message was sent.').waitFor();
        await conversation.getByText('Done: I deleted the big attachments', { exact: false }).waitFor();
      }
      await checkPage(page, `status page conversation (${width})`);
      await conversation.screenshot({ path: path.join(screenshotDir, `status-conversation-${width}.png`), animations: 'disabled' });
    });
  }
});

test('a customer who lost their link asks for it and it is mailed to them', async () => {
  const problem = byId['cant-receive'];
  const person = customer(23);
  const { reference } = await session({}, async (page) => {
    await walkToEscalation(page, problem);
    return sendEscalation(page, problem, person);
  });
  const before = smtp.received().length;
  for (const [options, width] of [[DESKTOP, 'desktop'], [PHONE, 'phone']]) {
    await session(options, async (page) => {
      await page.goto('/');
      await follow(page, page.getByRole('link', { name: /Find your ticket/ }), /\/tickets\/find$/);
      await assertHeading(page, 'Find your ticket');
      await checkPage(page, `find your ticket (${width})`);
      if (width === 'desktop') {
        await page.getByLabel('Reference').fill(reference.toLowerCase());
        await page.getByLabel('Email address you gave').fill(person.email.toUpperCase());
        await follow(page, page.getByRole('button', { name: 'Mail me the link' }), /\/tickets\/find\?asked=1$/);
        await page.getByText('If a ticket with that reference was sent from that address, we have mailed its link there.', { exact: false }).waitFor();
        await checkPage(page, 'find your ticket, asked');
      }
      await screenshot(page, `find-ticket-${width}`);
    });
  }
  const mails = await smtp.waitFor(before + 1);
  const link = mails.slice(before).find((m) => m.raw.includes("Your ticket's link"));
  assert.ok(link, 'the link is mailed');
  assert.deepEqual(link.to, [person.email]);
});
