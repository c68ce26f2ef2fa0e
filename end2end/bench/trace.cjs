// Main-thread time per animation frame, from a Chromium trace recorded with the
// categories in `CATEGORIES`: the renderer main thread's top-level tasks, summed between
// consecutive frame starts (BeginMainThreadFrame).
const CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline.frame'];

const isTask = (e) => e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask';

/** Milliseconds of main-thread work in each frame of `trace` (the parsed JSON). */
function mainThreadPerFrame(trace) {
  const events = trace.traceEvents ?? trace;
  // The page's renderer main thread: of the threads named CrRendererMain, the busiest.
  const mains = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const busy = (m) => events.filter((e) => e.pid === m.pid && e.tid === m.tid && isTask(e)).length;
  const main = mains.sort((a, b) => busy(b) - busy(a))[0];
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid);
  const starts = onMain.filter((e) => e.name === 'BeginMainThreadFrame').map((e) => e.ts).sort((a, b) => a - b);
  const tasks = onMain.filter((e) => isTask(e) && e.ph === 'X');
  const perFrame = new Array(Math.max(0, starts.length - 1)).fill(0);
  for (const t of tasks) {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= t.ts) lo = mid; else hi = mid - 1; }
    if (lo < perFrame.length) perFrame[lo] += t.dur / 1000;
  }
  return perFrame;
}

module.exports = { CATEGORIES, mainThreadPerFrame };

/** Milliseconds by event name (self time not separated: nested events count in their
 * parents too) over the frames whose main-thread work is at or above `threshold` ms:
 * where the slow frames go. The names are Chromium's (FunctionCall, UpdateLayoutTree,
 * Layout, Paint, …). */
function slowFrameBreakdown(trace, threshold) {
  const events = trace.traceEvents ?? trace;
  const mains = events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const busy = (m) => events.filter((e) => e.pid === m.pid && e.tid === m.tid && isTask(e)).length;
  const main = mains.sort((a, b) => busy(b) - busy(a))[0];
  const onMain = events.filter((e) => main && e.pid === main.pid && e.tid === main.tid);
  const starts = onMain.filter((e) => e.name === 'BeginMainThreadFrame').map((e) => e.ts).sort((a, b) => a - b);
  const perFrame = mainThreadPerFrame(trace);
  const slow = new Set(perFrame.map((ms, i) => (ms >= threshold ? i : -1)).filter((i) => i >= 0));
  const byName = {};
  for (const e of onMain) {
    if (e.ph !== 'X' || isTask(e) || !e.dur) continue;
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= e.ts) lo = mid; else hi = mid - 1; }
    if (slow.has(lo)) byName[e.name] = (byName[e.name] ?? 0) + e.dur / 1000;
  }
  return Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, v]) => [k, Math.round(v)]));
}

module.exports.slowFrameBreakdown = slowFrameBreakdown;
