// Benchmark (not a test): widgets in Chromium (headless, this machine's cores).
//
//   node end2end/bench/widgets.cjs <base> kiosk <widgets> <changing datasets> [seconds] [datasets]
//       A kiosk of <widgets> widgets of mixed kinds over [datasets] (default 10) pushed
//       datasets, widget i reading dataset i mod [datasets]; <changing> of them are pushed
//       10 times a second. Reports frames per second, main-thread time
//       per animation frame (p50/p95, from a Chromium trace: the renderer main thread's
//       tasks between frame starts), long tasks over 50 ms, script time (CDP
//       TaskDuration), and the share of pushed KPI values that were drawn.
//   node end2end/bench/widgets.cjs <base> line <points>
//       One line chart bound to <points> pushed points: the view page's hydration (User
//       Timing `wallboard-hydrate`, with the microtasks it queued), then the main-thread
//       work of each of 40 one-point appends, measured in the page: the stream event's
//       handler with its microtasks, plus the animation-frame callback that draws it
//       with its microtasks and that frame's style, layout and paint.
//   node end2end/bench/widgets.cjs <base> soak <minutes>
//       A kiosk of 100 mixed widgets, 10 datasets pushed 10 times a second, for
//       <minutes>: JS heap (after a forced GC), DOM nodes, the wasm module's linear
//       memory and the bytes its allocator holds, every minute.
//   node end2end/bench/widgets.cjs <base> tvsoak <minutes>
//       The same, on a paired TV (`/tv`, no session) showing a playlist of two
//       dashboards of 50 of those widgets each, turning every 5 s with a fade.
//
// <base> is a running Wallboard, e.g. http://127.0.0.1:3000 (release build). The load
// is bounded: at most 10 datasets × 10 pushes/s, and every mode stops by itself.
const { chromium } = require('playwright-core');
const { benchSession, signedPage } = require('./session.cjs');
const { CATEGORIES, mainThreadPerFrame, slowFrameBreakdown } = require('./trace.cjs');

// The session every call and page of this run carries (made before anything else).
let cookie = '';

const base = process.argv[2];
const mode = process.argv[3];
const args = process.argv.slice(4).map(Number);

const post = async (fn, body) => {
  const r = await fetch(`${base}/api/fn/${fn}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${fn}: ${r.status} ${text}`);
  return JSON.parse(text);
};

async function pushedDataset(name, maxRows) {
  const d = await post('create_push_dataset', { form: { name, fields: [{ name: 't', kind: 'text' }, { name: 'v', kind: 'number' }, { name: 'k', kind: 'text' }, { name: 'n', kind: 'number' }], mode: { kind: 'append', max_rows: maxRows } } });
  const token = await post('create_push_token', { dataset: d.id, label: 'bench' });
  return { id: d.id, secret: token.secret };
}

async function push(ds, rows) {
  const r = await fetch(`${base}/api/v1/datasets/${ds.id}/rows`, { method: 'POST', headers: { authorization: `Bearer ${ds.secret}`, 'content-type': 'application/json' }, body: JSON.stringify(rows) });
  if (!r.ok) throw new Error(`push: ${r.status} ${await r.text()}`);
}

const names = ['north', 'south', 'east', 'west', 'centre', 'coast'];
const row = (n) => ({ t: new Date(Date.now() + n).toISOString(), v: Math.round(500 + 400 * Math.sin(n / 7)), k: names[n % names.length], n });

// Widgets cycle through the kinds that draw data; KPIs show the counter `n`.
const kinds = [
  ['kpi', {}, { value: ['n'] }],
  ['gauge', { min: 0, max: 1000 }, { value: ['v'] }],
  ['line', {}, { x: ['t'], y: ['v'] }],
  ['bar', {}, { category: ['k'], values: ['v'] }],
  ['progress', { min: 0, max: 1000 }, { value: ['v'] }],
  ['table', {}, { columns: ['k', 'v', 'n'] }],
  ['pie', {}, { label: ['k'], value: ['v'] }],
  ['leaderboard', {}, { label: ['k'], value: ['v'] }],
  ['status', {}, { value: ['k'] }],
  ['kpi', { sparkline: true }, { value: ['n'] }],
];

// BENCH_KINDS=kpi,line limits the kiosk to those kinds (to see what each costs).
const only = process.env.BENCH_KINDS?.split(',');
const chosen = only ? kinds.filter(([k]) => only.includes(k)) : kinds;

async function kioskDashboard(count, datasets) {
  const cols = Math.ceil(Math.sqrt(count * 1920 / 1080));
  const rows = Math.ceil(count / cols);
  const w = Math.floor(1920 / cols), h = Math.floor(1080 / rows);
  const widgets = [];
  for (let i = 0; i < count; i++) {
    const [kind, props, slots] = chosen[i % chosen.length];
    widgets.push({
      id: `w${i + 1}`, rect: { x: (i % cols) * w, y: Math.floor(i / cols) * h, w, h }, kind, props,
      look: { title: `${kind} ${i + 1}` },
      binding: { dataset: datasets[i % datasets.length].id, slots, row: { pick: 'last' } },
    });
  }
  const id = await post('create_dashboard', { name: `bench ${count}` });
  await post('save_dashboard', { id, revision: 1, dashboard: { schema_version: 2, name: `bench ${count}`, resolution: { width: 1920, height: 1080 }, widgets } });
  return id;
}

const launch = () => chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--js-flags=--expose-gc'] });

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const r1 = (x) => Math.round(x * 10) / 10;

// Pushes one row to each of `changing` datasets every 100 ms until `until`.
async function pushLoop(datasets, changing, until) {
  let n = 1000;
  let sent = 0;
  while (Date.now() < until) {
    const t0 = Date.now();
    n++;
    await Promise.all(datasets.slice(0, changing).map((d) => push(d, [row(n)])));
    sent++;
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
  }
  return { sent, last: n };
}

async function kiosk(count, changing, seconds, total) {
  const datasets = [];
  for (let i = 0; i < total; i++) datasets.push(await pushedDataset(`bench ${i}`, 30));
  for (const d of datasets) await push(d, Array.from({ length: 30 }, (_, i) => row(i)));
  const id = await kioskDashboard(count, datasets);
  const browser = await launch();
  const page = await signedPage(browser, base, cookie, { viewport: { width: 1920, height: 1080 } });
  await page.goto(`${base}/kiosk/${id}`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  await page.waitForTimeout(1500);
  // In the page: frames, long tasks, and the KPI values that reached the screen.
  await page.evaluate(() => {
    window.__bench = { frames: 0, long: [], seen: new Map() };
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__bench.long.push(e.duration); }).observe({ type: 'longtask' });
    // Widget wN reads dataset (N - 1) % (number of datasets).
    const kpis = [...document.querySelectorAll('.wb[data-kind=kpi]')].map((w) => [Number(w.dataset.wid.slice(1)) - 1, w.querySelector('[data-testid=kpi-value]')]);
    const tick = () => {
      window.__bench.frames++;
      kpis.forEach(([i, k]) => { const s = window.__bench.seen.get(i) ?? new Set(); s.add(k.textContent); window.__bench.seen.set(i, s); });
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metric = async (name) => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === name).value;
  const task0 = await metric('TaskDuration');
  const script0 = await metric('ScriptDuration');
  await browser.startTracing(page, { categories: CATEGORIES });
  const started = Date.now();
  const pushed = await pushLoop(datasets, changing, started + seconds * 1000);
  const elapsed = (Date.now() - started) / 1000;
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const task1 = await metric('TaskDuration');
  const script1 = await metric('ScriptDuration');
  const b = await page.evaluate(() => ({ frames: window.__bench.frames, long: window.__bench.long, seen: [...window.__bench.seen.entries()].map(([i, s]) => [i, s.size]) }));
  const perFrame = mainThreadPerFrame(trace);
  // KPIs of changing datasets: values drawn / values pushed (each push changes `n`;
  // the value shown before the first push is not counted).
  const changingKpis = b.seen.filter(([i]) => i % total < changing).map(([, n]) => n - 1);
  const drawn = changing > 0 && changingKpis.length ? r1(100 * pct(changingKpis, 0.5) / pushed.sent) : null;
  console.log(JSON.stringify({
    widgets: count, datasets: total, changing_datasets: changing, changing_widgets: Math.ceil(count / total) * changing, seconds: r1(elapsed), pushes_per_dataset: pushed.sent,
    fps: r1(b.frames / elapsed),
    frame_main_thread_ms: { p50: r1(pct(perFrame, 0.5)), p95: r1(pct(perFrame, 0.95)), frames: perFrame.length },
    long_tasks: b.long.length, longest_task_ms: r1(Math.max(0, ...b.long)),
    task_s: r1(task1 - task0), script_s: r1(script1 - script0),
    kpi_values_drawn_pct_median: drawn,
    // Where the frames over 8 ms spend their main-thread time (by Chromium event).
    slow_frames: perFrame.filter((ms) => ms >= 8).length,
    slow_frames_ms_by_event: slowFrameBreakdown(trace, 8),
  }));
  await browser.close();
}

async function line(points) {
  const d = await pushedDataset('bench line', points + 100);
  for (let i = 0; i < points; i += 5000) await push(d, Array.from({ length: Math.min(5000, points - i) }, (_, j) => row(i + j)));
  const id = await post('create_dashboard', { name: 'bench line' });
  await post('save_dashboard', { id, revision: 1, dashboard: { schema_version: 2, name: 'bench line', resolution: { width: 1920, height: 1080 }, widgets: [
    { id: 'w1', rect: { x: 0, y: 0, w: 1920, h: 1080 }, kind: 'line', props: {}, look: { title: 'line' }, binding: { dataset: d.id, slots: { x: ['t'], y: ['v'] }, row: { pick: 'last' } } },
  ] } });
  const browser = await launch();
  const page = await signedPage(browser, base, cookie, { viewport: { width: 1920, height: 1080 } });
  // Times each append's work: the stream event's handler with the microtasks it
  // queues, plus the animation-frame callback that draws it with its microtasks and
  // the frame's style, layout and paint (a MessageChannel message runs after them).
  // The wait for the frame in between is idle, not counted.
  await page.addInitScript(() => {
    window.__appends = [];
    let handled = null;
    const after = (t0, done) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => done(performance.now() - t0);
      ch.port2.postMessage(0);
    };
    const raf = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (cb) => raf((ts) => {
      const t0 = performance.now();
      cb(ts);
      after(t0, (ms) => {
        if (handled === null) return;
        window.__appends.push(handled + ms);
        handled = null;
      });
    });
    const add = EventSource.prototype.addEventListener;
    EventSource.prototype.addEventListener = function (type, listener, opts) {
      if (type !== 'append') return add.call(this, type, listener, opts);
      return add.call(this, type, (ev) => {
        const t0 = performance.now();
        listener(ev);
        after(t0, (ms) => { handled = ms; });
      }, opts);
    };
  });
  const hydrations = [];
  for (let run = 0; run < 5; run++) {
    await page.goto(`${base}/view/${id}`);
    await page.waitForFunction(() => performance.getEntriesByName('wallboard-hydrate').length > 0);
    hydrations.push(await page.evaluate(() => performance.getEntriesByName('wallboard-hydrate')[0].duration));
  }
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  // Under a Chromium trace: where the appends' frames spend their main-thread time.
  await browser.startTracing(page, { categories: CATEGORIES });
  for (let i = 0; i < 40; i++) {
    await push(d, [row(points + i)]);
    await page.waitForFunction((n) => window.__appends.length >= n, i + 1);
  }
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const appends = await page.evaluate(() => window.__appends);
  // A long line is drawn in strips (paths of its own units under one transform).
  const strips = await page.locator('path.series').evaluateAll((ps) => ps.map((p) => p.getAttribute('d')));
  console.log(JSON.stringify({
    points, strips: strips.length, path_segments: strips.reduce((n, d) => n + (d.match(/L/g) ?? []).length, 0),
    hydrate_ms: { min: r1(Math.min(...hydrations)), median: r1(pct(hydrations, 0.5)), runs: hydrations.length },
    append_ms: { p50: r1(pct(appends, 0.5)), p95: r1(pct(appends, 0.95)), max: r1(Math.max(...appends)), n: appends.length },
    // Summed over the traced frames with at least 1 ms of main-thread work (the
    // appends' frames), by Chromium event name; nested events count in their parents.
    append_frames_ms_by_event: slowFrameBreakdown(trace, 1),
  }));
  await browser.close();
}

// The size of every WebAssembly memory the page holds (MB): JS heap figures leave
// the wasm module's linear memory out.
async function wasmMemoryMb(cdp) {
  const proto = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
  const found = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.result.objectId });
  const sizes = await cdp.send('Runtime.callFunctionOn', {
    objectId: found.objects.objectId,
    functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }',
    returnByValue: true,
  });
  return r1(sizes.result.value.reduce((a, b) => a + b, 0) / 1048576);
}

// What the wasm module holds allocated now (MB; its allocator counts it): linear
// memory never shrinks, so this is what tells a leak from a high-water mark.
async function wasmHeldMb(page) {
  // Soaks run screens, which load the viewer bundle (the only one that counts).
  const bytes = await page.evaluate(async () => (await import('/pkg/viewer.js')).heap_in_use());
  return Math.round(bytes / 10485.76) / 100;
}

async function soak(minutes, tv) {
  const datasets = [];
  for (let i = 0; i < 10; i++) datasets.push(await pushedDataset(`soak ${i}`, 30));
  for (const d of datasets) await push(d, Array.from({ length: 30 }, (_, i) => row(i)));
  const browser = await launch();
  let page;
  if (tv) {
    // BENCH_SLIDES (default 2) dashboards of 50 widgets, each shown BENCH_SLIDE_SECONDS
    // (default 5) with a fade (or BENCH_TRANSITION=cut).
    const slides = [];
    for (let i = 0; i < Number(process.env.BENCH_SLIDES ?? 2); i++) {
      slides.push({ dashboard: await kioskDashboard(50, datasets), seconds: Number(process.env.BENCH_SLIDE_SECONDS ?? 5), transition: process.env.BENCH_TRANSITION ?? 'fade' });
    }
    const playlist = await post('save_playlist', { playlist: { name: 'soak', slides } });
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    page = await context.newPage();
    await page.goto(`${base}/tv`);
    const code = (await page.getByTestId('tv-code').textContent()).replace(/\s/g, '');
    await post('pair_screen', { code, settings: { name: 'soak', shows: { kind: 'playlist', id: playlist } } });
    await page.getByTestId('tv-slide').first().waitFor({ state: 'attached' });
  } else {
    const id = await kioskDashboard(100, datasets);
    page = await signedPage(browser, base, cookie, { viewport: { width: 1920, height: 1080 } });
    await page.goto(`${base}/kiosk/${id}`);
    await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  }
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const m = (await cdp.send('Performance.getMetrics')).metrics;
    const get = (n) => m.find((x) => x.name === n).value;
    return { heap_mb: r1(get('JSHeapUsedSize') / 1048576), nodes: get('Nodes'), wasm_mb: await wasmMemoryMb(cdp), wasm_held_mb: await wasmHeldMb(page) };
  };
  // BENCH_SIZES=1: also the allocation sizes whose live count grew most in the run
  // (the viewer bundle counts its live allocations by size).
  const sizes = () => page.evaluate(async () => Array.from((await import('/pkg/viewer.js')).heap_by_size()));
  const sizesAtStart = process.env.BENCH_SIZES ? await sizes() : null;
  const samples = [{ minute: 0, ...(await sample()) }];
  const end = Date.now() + minutes * 60000;
  const loop = pushLoop(datasets, 10, end);
  for (let m = 1; m <= minutes; m++) {
    await new Promise((r) => setTimeout(r, Math.max(0, Date.now() < end ? 60000 : 0)));
    samples.push({ minute: m, ...(await sample()) });
  }
  const pushed = await loop;
  if (sizesAtStart) {
    const now = await sizes();
    const grew = now.map((n, size) => ({ size, grew: n - sizesAtStart[size], live: n })).filter((g) => g.grew > 0);
    grew.sort((a, b) => b.grew * Math.max(b.size, 1) - a.grew * Math.max(a.size, 1));
    console.error(JSON.stringify({ sizes_grown: grew.slice(0, 20) }));
  }
  const first = samples[1] ?? samples[0];
  const last = samples[samples.length - 1];
  console.log(JSON.stringify({
    minutes, page: tv ? 'tv' : 'kiosk', pushes_per_dataset: pushed.sent, samples,
    heap_change_pct: r1(100 * (last.heap_mb - first.heap_mb) / first.heap_mb),
    nodes_change_pct: r1(100 * (last.nodes - first.nodes) / first.nodes),
    wasm_change_pct: r1(100 * (last.wasm_mb - first.wasm_mb) / first.wasm_mb),
    wasm_held_change_pct: r1(100 * (last.wasm_held_mb - first.wasm_held_mb) / first.wasm_held_mb),
  }));
  await browser.close();
}

(async () => {
  cookie = await benchSession(base);
  if (mode === 'kiosk') await kiosk(args[0] ?? 100, args[1] ?? 10, args[2] ?? 30, args[3] ?? 10);
  else if (mode === 'line') await line(args[0] ?? 10000);
  else if (mode === 'soak') await soak(args[0] ?? 60, false);
  else if (mode === 'tvsoak') await soak(args[0] ?? 60, true);
  else { console.error('usage: widgets.cjs <base> kiosk|line|soak|tvsoak …'); process.exit(2); }
})().catch((e) => { console.error(e); process.exit(1); });
