// A real SMTP server on loopback for the browser tests: the same aiosmtpd server the Rust tests
// use (tests/real_smtp/server.py), keeping each message it accepts as a file.
//
// Its Python is $SMTP_PYTHON, the virtual environment `cargo test` makes under the build
// directory, or the system's python3, whichever has aiosmtpd.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './server.js';

function python() {
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR) : path.join(repoRoot, 'target');
  const candidates = [process.env.SMTP_PYTHON, path.join(targetDir, 'tmp', 'aiosmtpd-venv', 'bin', 'python3'), 'python3'].filter(Boolean);
  for (const candidate of candidates) {
    const r = spawnSync(candidate, ['-c', 'import aiosmtpd'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  throw new Error('no Python with aiosmtpd: run `cargo test` first (it installs one under the build directory) or `pip install aiosmtpd`');
}

/** A free loopback port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts the server; resolves to { url, received(), waitFor(n), stop() }. */
export async function startSmtp() {
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-e2e-mail-'));
  const port = await freePort();
  const child = spawn(python(), [path.join(repoRoot, 'tests', 'real_smtp', 'server.py'), '--port', String(port), '--dir', dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the SMTP server did not start within 20 s')), 20_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      if (line.trim() === 'ready') resolve();
      else reject(new Error(`the SMTP server said ${line}`));
    });
    child.once('exit', (code) => reject(new Error(`the SMTP server exited (${code})`)));
  });

  /** The messages received so far: { to: [...], raw }. */
  function received() {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => ({
        to: readFileSync(path.join(dir, f.replace(/\.eml$/, '.envelope')), 'utf8').split('\n').filter((l) => l.startsWith('to ')).map((l) => l.slice(3)),
        raw: readFileSync(path.join(dir, f), 'utf8'),
      }));
  }

  async function waitFor(n, ms = 15_000) {
    const deadline = Date.now() + ms;
    while (received().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return received();
  }

  async function stop() {
    child.stdin.end();
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }

  return { url: `smtp://127.0.0.1:${port}`, received, waitFor, stop };
}
