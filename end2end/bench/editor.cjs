// Benchmark (not a test): the editor in Chromium (headless, this machine's cores).
//
//   node end2end/bench/editor.cjs <base> [widgets] [steps] [selected]
//       An editor of <widgets> (default 200) KPI widgets on one pushed dataset. First a
//       drag of one widget across the canvas with the real mouse: the frame intervals
//       during it (requestAnimationFrame) and long tasks. Then <steps> (default 200)
//       one-step edits (each a small drag, so each is its own history step), and each
//       undo of them timed in the page: the Ctrl+Z handler with the effects it queues
//       (before any redraw), and the time to the next animation frame. Last, a
//       selection of <selected> (default 20) widgets picked by Shift-click, dragged
//       together with 120 moves under a Chromium trace: main-thread time per frame.
//
// <base> is a running Wallboard (release build). Stops by itself.
const { chromium } = require('playwright-core');
const { benchSession, signedPage } = require('./session.cjs');
const { CATEGORIES, mainThreadPerFrame, slowFrameBreakdown } = require('./trace.cjs');

const base = process.argv[2];
const count = Number(process.argv[3] ?? 200);
const steps = Number(process.argv[4] ?? 200);
const selected = Number(process.argv[5] ?? 20);
let cookie = '';

const post = async (fn, body) => {
  const r = await fetch(`${base}/api/fn/${fn}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${fn}: ${r.status} ${text}`);
  return JSON.parse(text);
};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; };
const r1 = (x) => Math.round(x * 10) / 10;

(async () => {
  cookie = await benchSession(base);
  const ds = await post('create_push_dataset', { form: { name: 'editor bench', fields: [{ name: 'n', kind: 'number' }], mode: { kind: 'replace' } } });
  const cols = Math.ceil(Math.sqrt(count * 1920 / 1080));
  const rows = Math.ceil(count / cols);
  const w = Math.floor(1920 / cols), h = Math.floor(1080 / rows);
  const widgets = [];
  for (let i = 0; i < count; i++) {
    widgets.push({ id: `w${i + 1}`, rect: { x: (i % cols) * w, y: Math.floor(i / cols) * h, w, h }, kind: 'kpi', props: {},
      look: { title: `kpi ${i + 1}` }, binding: { dataset: ds.id, slots: { value: ['n'] }, row: { pick: 'last' } } });
  }
  const id = await post('create_dashboard', { name: `editor bench ${count}` });
  await post('save_dashboard', { id, revision: 1, dashboard: { schema_version: 2, name: 'editor bench', resolution: { width: 1920, height: 1080 }, widgets } });

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking'] });
  const page = await signedPage(browser, base, cookie, { viewport: { width: 1920, height: 1080 } });
  await page.goto(`${base}/edit/${id}`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  const first = page.locator('[data-testid=canvas] .widget').first();
  const box = await first.boundingBox();
  const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };

  // One long drag, 120 moves: frame intervals and long tasks while it runs.
  await page.evaluate(() => {
    window.__frames = []; window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 100000) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 600, from.y + 300, { steps: 120 });
  await page.mouse.up();
  const drag = await page.evaluate(() => ({ frames: window.__frames.splice(0), long: window.__long.splice(0) }));

  // `steps` small drags (each one history step), then each undo timed.
  for (let i = 0; i < steps; i++) {
    const b = await first.boundingBox();
    const c = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    await page.mouse.move(c.x, c.y);
    await page.mouse.down();
    await page.mouse.move(c.x + (i % 2 ? -8 : 8), c.y, { steps: 2 });
    await page.mouse.up();
    await page.waitForTimeout(5);
  }
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  const undo = await page.evaluate(async (n) => {
    const work = [], toFrame = [];
    for (let i = 0; i < n; i++) {
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const t0 = performance.now();
      window.dispatchEvent(new KeyboardEvent('keydown', { key: 'z', ctrlKey: true }));
      // The handler and the effects it queued (microtasks), before any redraw.
      await new Promise((r) => setTimeout(r, 0));
      work.push(performance.now() - t0);
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      toFrame.push(performance.now() - t0);
    }
    return { work, toFrame };
  }, steps);
  const undone = await page.getByTestId('undo').isDisabled();

  // A selection of `selected` widgets, every fifth one, dragged together.
  const all = page.locator('[data-testid=canvas] .widget');
  // (From the second widget on: the first was dragged away above and lies under another.)
  await all.nth(1).click();
  for (let i = 1; i < selected; i++) await all.nth(1 + i * 5).click({ modifiers: ['Shift'] });
  const chosen = await page.locator('[data-testid=canvas] .widget.selected').count();
  const grip = await all.nth(1).boundingBox();
  const at = { x: grip.x + grip.width / 2, y: grip.y + grip.height / 2 };
  await page.evaluate(() => { window.__frames = []; });
  await browser.startTracing(page, { categories: CATEGORIES });
  await page.mouse.move(at.x, at.y);
  await page.mouse.down();
  await page.mouse.move(at.x + 300, at.y + 150, { steps: 120 });
  await page.mouse.up();
  const trace = JSON.parse((await browser.stopTracing()).toString());
  const moved = await page.locator('[data-testid=canvas] .widget.selected').count();
  if (moved !== chosen) throw new Error(`the drag was meant to move ${chosen} widgets; ${moved} are selected after it`);
  const group = await page.evaluate(() => window.__frames.splice(0));
  const perFrame = mainThreadPerFrame(trace);
  console.log(JSON.stringify({
    widgets: count,
    drag: { frames: drag.frames.length, frame_ms_p50: r1(pct(drag.frames, 0.5)), frame_ms_p95: r1(pct(drag.frames, 0.95)), long_tasks: drag.long.length, longest_task_ms: r1(Math.max(0, ...drag.long)) },
    undo: { steps, work_ms_p50: r1(pct(undo.work, 0.5)), work_ms_p95: r1(pct(undo.work, 0.95)), work_ms_max: r1(Math.max(...undo.work)),
      to_next_frame_ms_p50: r1(pct(undo.toFrame, 0.5)), to_next_frame_ms_p95: r1(pct(undo.toFrame, 0.95)), steps_left: undone ? 0 : 'some (the long drag)' },
    selection_drag: { selected: chosen, frames: group.length, frame_ms_p50: r1(pct(group, 0.5)), frame_ms_p95: r1(pct(group, 0.95)),
      main_thread_ms_per_frame: { p50: r1(pct(perFrame, 0.5)), p95: r1(pct(perFrame, 0.95)), max: r1(Math.max(0, ...perFrame)), frames: perFrame.length },
      frames_over_12_ms: { count: perFrame.filter((ms) => ms >= 12).length, total_ms_by_event: slowFrameBreakdown(trace, 12) } },
  }));
  await browser.close();
})();
