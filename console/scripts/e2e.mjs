// `npm run test:e2e`: checks what the end-to-end tests need, builds the console when its sources
// are newer than dist/, and runs Playwright. ctest runs this (tests/console/CMakeLists.txt) with
// MAMORI_BIN set. A missing prerequisite is a failure that says how to install it, never a skip.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
const fix = "run scripts/setup.sh --test (it installs chromium and the console's npm packages)";

function fail(message) {
  console.error(`console e2e: ${message}; ${fix}`);
  process.exit(1);
}

if (!existsSync(join(root, 'node_modules', '@playwright', 'test')))
  fail('console/node_modules is missing');
if (!existsSync(chromium)) fail(`no Chromium at ${chromium}`);
if (!process.env.MAMORI_BIN) {
  console.error(
    'console e2e: set MAMORI_BIN to the mamori binary (ctest does: ctest -R console_e2e)',
  );
  process.exit(1);
}

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let m = s.mtimeMs;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

const built = join(root, 'dist', 'index.html');
const sources = [
  'src',
  'public',
  'index.html',
  'vite.config.ts',
  'package-lock.json',
  'tsconfig.json',
]
  .map((p) => join(root, p))
  .filter(existsSync);
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;

function run(args) {
  const r = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (stale) run(['run', 'build']);
run(['exec', '--', 'playwright', 'test', ...process.argv.slice(2)]);
