// Starts a real hub for the end-to-end tests: a fresh SQLite database in a temporary directory,
// organisations, users and a sensor token made with `mamori admin`, events ingested through the
// API, and `mamori hub --console dist` on a free loopback port. Returns the teardown, which
// stops the hub and removes the directory (kept when MAMORI_E2E_KEEP=1, or when the hub failed).

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENTS_NDJSON, ORDER, ORGS, PASSWORD, SENSOR, USERS } from './world';

const STARTUP_TIMEOUT_MS = 60_000;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => ok(port));
    });
  });
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * What the commission inspects: a sensor runs `mamori select` twice under an order signed with
 * the commission's key (on an empty capture) and reports its ledger heads and the order to the hub.
 */
async function sensorReports(
  bin: string,
  admin: (args: string[]) => string,
  dir: string,
  hub: string,
  token: string,
): Promise<void> {
  const d = join(dir, 'sensor');
  mkdirSync(d);
  const run = (args: string[]) =>
    execFileSync(bin, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MAMORI_HUB_TOKEN: token },
    });
  run(['keys', 'gen', '--out', join(d, 'commission')]);
  admin(['commission-key', 'set', join(d, 'commission', 'signing.pub')]);
  writeFileSync(join(d, 'order.json'), JSON.stringify(ORDER));
  writeFileSync(
    join(d, 'order.signed.json'),
    run(['order', 'sign', '--key', join(d, 'commission', 'signing.key'), join(d, 'order.json')]),
  );
  // A pcap with its header only: the run ledgers its start and end, and nothing is selected.
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  writeFileSync(join(d, 'empty.pcap'), header);
  writeFileSync(join(d, 'domestic.txt'), '192.0.2.0/24\n');
  for (const n of [1, 2]) {
    run([
      'select',
      '--quiet',
      '--order',
      join(d, 'order.signed.json'),
      '--trust',
      join(d, 'commission', 'signing.pub'),
      '--domestic',
      join(d, 'domestic.txt'),
      '--state',
      join(d, 'state'),
      '--in',
      join(d, 'empty.pcap'),
      '--out',
      join(d, `out${n}`),
      '--hub',
      hub,
      '--sensor-name',
      SENSOR,
    ]);
  }
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const bin = process.env.MAMORI_BIN;
  if (!bin || !existsSync(bin)) {
    throw new Error(`MAMORI_BIN must name the mamori binary (got '${bin ?? ''}'); ctest sets it`);
  }
  const dist = fileURLToPath(new URL('../dist', import.meta.url));
  if (!existsSync(join(dist, 'index.html')))
    throw new Error(`the console is not built: ${dist}/index.html is missing`);

  const dir = mkdtempSync(join(tmpdir(), 'mamori-console-e2e-'));
  const db = `sqlite:${join(dir, 'hub.db')}`;
  const admin = (args: string[], input?: string) =>
    execFileSync(bin, ['admin', '--db', db, ...args], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });

  for (const o of Object.values(ORGS)) admin(['org', 'add', '--name', o.name, ...o.args]);
  for (const u of Object.values(USERS)) {
    admin(
      [
        'user',
        'add',
        '--name',
        u.name,
        '--org',
        u.org,
        '--role',
        u.role,
        '--clearance',
        String(u.clearance),
        '--password-stdin',
      ],
      `${PASSWORD}\n`,
    );
  }
  admin([
    'user',
    'add',
    '--name',
    'sensor-1',
    '--org',
    ORGS.centre.name,
    '--role',
    'analyst',
    '--clearance',
    '3',
  ]);
  const tokenOut = admin(['token', 'create', '--user', 'sensor-1']);
  const token = tokenOut.match(/mamori_[0-9a-f]{64}/)?.[0];
  if (!token) throw new Error(`no token in the output of 'mamori admin token create': ${tokenOut}`);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = join(dir, 'hub.log');
  const out = createWriteStream(log);
  const hub: ChildProcess = spawn(
    bin,
    [
      'hub',
      '--db',
      db,
      '--listen',
      `127.0.0.1:${port}`,
      '--state',
      join(dir, 'state'),
      '--console',
      dist,
      '--threads',
      '4',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  hub.stdout?.pipe(out);
  hub.stderr?.pipe(out);
  let exited: number | null = null;
  hub.on('exit', (code) => {
    exited = code ?? -1;
  });

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (exited !== null) {
      throw new Error(
        `the hub exited (${exited}) before it answered; its log:\n${readFileSync(log, 'utf8')}`,
      );
    }
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      hub.kill('SIGKILL');
      throw new Error(
        `the hub did not answer /api/v1/health within ${STARTUP_TIMEOUT_MS / 1000} s; log in ${log}`,
      );
    }
    await sleep(200);
  }

  const ingest = await fetch(`${base}/api/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-ndjson' },
    body: EVENTS_NDJSON,
  });
  if (!ingest.ok) throw new Error(`ingest failed: ${ingest.status} ${await ingest.text()}`);

  await sensorReports(bin, admin, dir, base, token);

  process.env.MAMORI_CONSOLE_URL = base;
  process.env.MAMORI_E2E_DIR = dir;

  return async () => {
    if (exited === null) {
      const gone = new Promise((r) => hub.once('exit', r));
      hub.kill('SIGTERM');
      await Promise.race([gone, sleep(10_000)]);
      if (exited === null) hub.kill('SIGKILL');
    }
    out.end();
    if (process.env.MAMORI_E2E_KEEP === '1') {
      console.log(`kept the hub's directory: ${dir}`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
