// Benchmark (not a test): the resident memory of a running Wallboard holding a
// 1,000,000-row × 5-column dataset (the CSV of `server/benches/data.rs`, 37.6 MB),
// read from /proc/<pid>/status:
//   1. idle, signed in;
//   2. after the dataset is created (its preview read it whole, then let it go);
//   3. with one viewer of the dataset: the poller reads it, the hub holds it, and the
//      viewer's snapshot (the frame's JSON) has been received;
//   4. after the viewer left.
// Usage: node end2end/bench/memory.cjs http://127.0.0.1:3000 <server pid>
const fs = require('node:fs');
const { benchSession } = require('./session.cjs');

const ROWS = 1_000_000;
const REGIONS = ['north', 'south', 'east', 'west', 'centre', 'islands', 'coast', 'hills'];

/** The same text as `data::csv_text(ROWS)`. */
function csvText() {
  const lines = ['id,day,region,amount,paid'];
  for (let i = 0; i < ROWS; i++) {
    const month = String((i % 12) + 1).padStart(2, '0');
    const day = String((i % 28) + 1).padStart(2, '0');
    const cents = String(i % 100).padStart(2, '0');
    lines.push(`${i},2024-${month}-${day},${REGIONS[i % 8]},${(i * 7919) % 10000}.${cents},${i % 3 === 0}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

function memory(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))[1]);
  return { rss_mb: +(kb('VmRSS') / 1024).toFixed(1), peak_mb: +(kb('VmHWM') / 1024).toFixed(1) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const [base, pid] = process.argv.slice(2);
  const cookie = await benchSession(base);
  const post = async (fn, body) => {
    const r = await fetch(`${base}/api/fn/${fn}`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
    const answer = await r.json();
    if (!r.ok) throw new Error(`${fn}: ${r.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const csv = csvText();
  const report = { csv_mb: +(csv.length / 1e6).toFixed(1) };
  await sleep(1000);
  report.idle = memory(pid);
  const up = await fetch(`${base}/api/v1/uploads?name=big.csv`, { method: 'POST', headers: { 'content-type': 'application/octet-stream', cookie }, body: csv });
  const upload = await up.json();
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${JSON.stringify(upload)}`);
  const created = await post('create_dataset', { form: { name: 'big', refresh_ms: 60000, pipeline: { steps: [] },
    source: { type: 'sheet', file: { kind: 'upload', upload: upload.id ?? upload, name: 'big.csv' }, header_row: 1 } } });
  await sleep(2000);
  report.created = memory(pid);

  // One viewer: read the stream until its snapshot holds the frame.
  const controller = new AbortController();
  const started = Date.now();
  const res = await fetch(`${base}/api/v1/live?datasets=${created.id}`, { headers: { cookie, accept: 'text/event-stream' }, signal: controller.signal });
  const reader = res.body.getReader();
  let received = 0;
  let tail = '';
  let frames = 0;
  const decoder = new TextDecoder();
  while (frames === 0) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the stream ended');
    received += value.length;
    tail = (tail + decoder.decode(value, { stream: true })).slice(-4096);
    // The snapshot event, or a frame event, carrying rows.
    if (received > 1e6 && tail.endsWith('\n\n')) frames = 1;
  }
  report.first_frame_ms = Date.now() - started;
  report.frame_mb = +(received / 1e6).toFixed(1);
  await sleep(3000);
  report.one_viewer = memory(pid);
  controller.abort();
  await sleep(3000);
  report.viewer_left = memory(pid);
  report.one_viewer_over_csv = +(report.one_viewer.rss_mb * 1048576 / csv.length).toFixed(2);
  report.held_over_csv = +((report.one_viewer.rss_mb - report.idle.rss_mb) * 1048576 / csv.length).toFixed(2);
  console.log(JSON.stringify(report, null, 1));
})().catch((e) => { console.error(e); process.exit(1); });
