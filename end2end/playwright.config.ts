// End-to-end tests: the release build of Wallboard on a fresh SQLite file, driven in
// Debian's Chromium (no Playwright browser download).
import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const port = Number(process.env.E2E_PORT ?? 3917);
// One data folder for the run: the config is read again by each worker, which inherits
// this variable from the runner.
const dataDir = (process.env.E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'wallboard-e2e-')));
const bin = process.env.WALLBOARD_BIN ?? path.resolve(__dirname, '../target/release/wallboard');

export default defineConfig({
  testDir: './tests',
  // Makes the first administrator; every test starts signed in as them.
  globalSetup: require.resolve('./global-setup'),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1600, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    storageState: path.join(__dirname, '.auth/admin.json'),
  },
  webServer: {
    command: bin,
    cwd: path.resolve(__dirname, '..'),
    url: `http://127.0.0.1:${port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      WALLBOARD_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: `sqlite://${dataDir}/wallboard.db`,
      WALLBOARD_DEMO: 'false',
      // The test's JSON source runs on loopback.
      WALLBOARD_ALLOW_TARGETS: 'loopback',
      RUST_LOG: 'warn',
    },
  },
});
