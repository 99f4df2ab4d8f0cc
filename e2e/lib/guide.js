// The shipped IIMS guide (content/iims-email-guide.toml) as a customer sees it: each problem's
// symptom and the choices that walk it to the guide's escalation.

export const problems = [
  {
    id: 'cant-send',
    symptom: "I can receive email, but I can't send it",
    steps: 3,
    walk: [
      { title: 'Confirm that your outgoing email (SMTP) settings are correct', choose: "My outgoing settings are correct and I still can't send" },
      { title: "If you are using IIMS's SMTP server, try replacing this information with your ISP's mail server name", choose: "I still can't send" },
    ],
    ending: { heading: "Contact IIMS if you've attempted the above and the problem continues.", kind: 'IIMS support', progress: 'Step 3 of 3', reason: 'Still can\'t send after confirming' },
  },
  {
    id: 'cant-receive',
    symptom: "I can send email, but I don't receive any",
    steps: 1,
    walk: [
      { title: 'Confirm that your incoming email (POP3) settings are correct', choose: "My incoming settings are correct and I still don't receive email" },
    ],
    ending: { heading: 'The guide has no further steps for this problem', kind: 'Guide ended', progress: 'Guide ended', reason: 'The customer went through every step' },
  },
  {
    id: 'cant-send-or-receive',
    symptom: "I can't send or receive any email",
    steps: 3,
    walk: [
      { title: 'Confirm that you are successfully connected to the Internet', choose: "Web sites open: I'm connected to the Internet" },
      { title: 'Confirm that your incoming and outgoing email settings are correct', choose: "My settings are correct and I still can't send or receive" },
    ],
    ending: { heading: "Contact IIMS if you've established that you are successfully connected to the Internet", kind: 'IIMS support', progress: 'Step 3 of 3', reason: 'Connected to the Internet and the email settings' },
  },
  {
    id: 'password-prompts',
    symptom: 'My email keeps asking for my username or password',
    steps: 2,
    walk: [
      { title: 'Confirm your username and password settings', choose: "I'm still asked for my username or password" },
    ],
    ending: { heading: 'If you still have a problem, contact your IIMS Account Manager', kind: 'Account Manager', progress: 'Step 2 of 2', reason: 'Still prompted for username' },
  },
  {
    id: 'download-stuck',
    symptom: 'Downloading my email gets stuck or times out',
    steps: 2,
    walk: [
      { title: 'Confirm that you are successfully connected to the Internet', choose: "Web sites open: I'm connected to the Internet" },
    ],
    ending: { heading: 'you most likely have a message in your IIMS box that is too large', kind: 'Account Manager', progress: 'Step 2 of 2', reason: 'Connected to the Internet, but the download gets stuck' },
  },
  {
    id: 'same-emails-again',
    symptom: 'I keep getting the same emails over and over',
    steps: 2,
    walk: [
      { title: 'Check your email settings', choose: 'The box is not checked and I still get the same emails' },
    ],
    ending: { heading: 'You may have a virus. Contact your IIMS Account Manager.', kind: 'Account Manager', progress: 'Step 2 of 2', reason: 'is not checked and the same emails keep arriving' },
  },
];

export const byId = Object.fromEntries(problems.map((p) => [p.id, p]));

/** The home page's seventh entry, for a problem the guide doesn't cover; it leads to /contact. */
export const somethingElse = {
  symptom: "Something else: my problem isn't listed here",
  title: 'Tell IIMS about your problem',
  kind: 'Not in the guide',
};

/** "Step 2 of 3", or "Step 1" where a problem has a single numbered step. */
export function progressLabel(problem, i) {
  return problem.steps > 1 ? `Step ${i + 1} of ${problem.steps}` : `Step ${i + 1}`;
}

/** A customer, as typed into the escalation form. */
export function customer(n) {
  return {
    name: `Ann Example ${n}`,
    email: `ann${n}@example.com`,
    phone: n % 2 ? '+44 20 7946 0000' : '+44 20 7946 0000 ext. 23',
    account: 'example.com',
    program: 'Mozilla Thunderbird',
    description: `Since Monday my mail program shows "connection refused" (case ${n}).`,
  };
}
