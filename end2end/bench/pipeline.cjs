// Benchmark (not a test): the pipeline engine in the browser (wasm, Chromium) on
// 10,000 generated rows: convert a text number, a computed field, a filter, a monthly
// time bucket with three aggregates, a sort (app/src/bench.rs). Calls the bundle's
// `bench_pipeline` export in a page that has loaded it.
// Usage: node end2end/bench/pipeline.cjs http://127.0.0.1:3000   (a running Wallboard)
const { chromium } = require('playwright-core');
const { benchSession, signedPage } = require('./session.cjs');
(async () => {
  const base = process.argv[2];
  const cookie = await benchSession(base);
  const rows = Number(process.argv[3] ?? 10000);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  const page = await signedPage(browser, base, cookie, {});
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.querySelector('body')?.dataset !== undefined);
  const result = await page.evaluate(async (rows) => {
    const m = await import('/pkg/wallboard.js');
    m.bench_pipeline(rows, 3); // warm up
    const [median, out] = m.bench_pipeline(rows, 15);
    return { median, out };
  }, rows);
  console.log(JSON.stringify({ rows, median_ms: Math.round(result.median * 10) / 10, rows_out: result.out, runs: 15 }));
  await browser.close();
})();
