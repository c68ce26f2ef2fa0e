// Benchmark (not a test): source-change → screen latency. A local JSON source changes
// value; the time until the new value is painted in a viewer page is recorded (the
// dataset refreshes every 1 s, so the expected spread is 0 to 1 s plus delivery).
// Usage: node end2end/bench/source-to-screen.cjs http://127.0.0.1:3000   (a running Wallboard)
const http = require('node:http');
const { chromium } = require('playwright-core');
const { benchSession, signedPage } = require('./session.cjs');

// The session every call and page of this run carries (made before anything else).
let cookie = '';
(async () => {
  const base = process.argv[2];
  let value = 1;
  const server = http.createServer((_q, r) => { r.writeHead(200, {'content-type': 'application/json'}); r.end(JSON.stringify({ value })); });
  await new Promise(r => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/m`;
  cookie = await benchSession(base);
  const post = async (fn, body) => (await fetch(`${base}/api/fn/${fn}`, { method: 'POST', headers: {'content-type': 'application/json', cookie}, body: JSON.stringify(body) })).json();
  const ds = await post('create_http_dataset', { form: { name: 'lat', url, path: '$.value', field: 'value', kind: 'number', refresh_ms: 1000, timeout_ms: 1000 } });
  const id = await post('create_dashboard', { name: 'latency' });
  await post('save_dashboard', { id, revision: 1, dashboard: { schema_version: 1, name: 'latency', resolution: { width: 1920, height: 1080 }, widgets: [{ id: 'w1', rect: { x: 0, y: 0, w: 400, h: 240 }, kind: 'kpi', props: { title: 't', unit: '', decimals: 0 }, binding: { dataset: ds.id, field: 'value' } }] } });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'] });
  const page = await signedPage(browser, base, cookie, {});
  await page.goto(`${base}/view/${id}`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  const samples = [];
  for (let i = 0; i < 20; i++) {
    value = 1000 + i;
    const t0 = Date.now();
    await page.waitForFunction(v => document.querySelector('[data-testid=kpi-value]')?.textContent === v, `${(1000 + i).toLocaleString('en-US')}`, { polling: 'raf' });
    samples.push(Date.now() - t0);
    await page.waitForTimeout(Math.random() * 1000);
  }
  samples.sort((a, b) => a - b);
  const pct = p => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
  console.log(JSON.stringify({ n: samples.length, min: samples[0], p50: pct(0.5), p90: pct(0.9), max: samples[samples.length - 1] }));
  await browser.close(); server.close();
})();
