// Starts the real helpdesk release binary on a loopback port with a fresh SQLite file.
//
// The binary is $HELPDESK_BIN, or release/helpdesk under $CARGO_TARGET_DIR (default: the
// repository's target/). Build it first with `cargo build --release`.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, createWriteStream, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The helpdesk binary the suite runs. */
export function binaryPath() {
  if (process.env.HELPDESK_BIN) return path.resolve(process.env.HELPDESK_BIN);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? path.resolve(repoRoot, process.env.CARGO_TARGET_DIR)
    : path.join(repoRoot, 'target');
  return path.join(targetDir, 'release', 'helpdesk');
}

/**
 * Starts `helpdesk serve --listen 127.0.0.1:0` on a fresh database in a new temporary folder,
 * with `args` added to its command line. Resolves to { url, databaseUrl, dir, log, stop }, once
 * the server has said where it listens.
 */
export async function startServer({ args = [] } = {}) {
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`helpdesk binary not found at ${bin}: run \`cargo build --release\` or set HELPDESK_BIN`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'helpdesk-e2e-'));
  const databaseUrl = `sqlite://${path.join(dir, 'helpdesk.db')}`;
  const logPath = path.join(dir, 'server.log');
  const log = createWriteStream(logPath);
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--database-url', databaseUrl, ...args], {
    env: { ...process.env, NO_COLOR: '1', RUST_LOG: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr.pipe(log, { end: false });
  let exited = false;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => {
    exited = true;
    resolve({ code, signal });
  }));

  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`helpdesk did not report its address within 20 s; log: ${logPath}`)), 20_000);
    const lines = createInterface({ input: child.stdout });
    let found = false;
    lines.on('line', (line) => {
      if (!log.writableEnded) log.write(line + '\n');
      const m = !found && line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) {
        found = true;
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exit.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!found) reject(new Error(`helpdesk exited (code ${code}, signal ${signal}) before listening:\n${safeRead(logPath)}`));
    });
  });

  async function stop() {
    if (!exited) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(t);
    }
    log.end();
    if (process.env.E2E_KEEP_TMP) {
      console.log(`# kept ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return { url, databaseUrl, dir, logPath, stop, bin };
}

/** Runs a `helpdesk` subcommand against the server's database, with optional standard input. */
export function helpdeskCli(server, args, input) {
  const r = spawnSync(server.bin, [...args, '--database-url', server.databaseUrl], {
    input: input ?? '',
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) {
    throw new Error(`helpdesk ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

function safeRead(p) {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}
