// Visual regression (issue 10, §6): every widget kind in every theme, screenshotted on
// a 1920×1080 kiosk and compared with the committed reference images in
// `visual.spec.ts-snapshots/` (2 % of pixels may differ), plus the whole kiosk per theme.
//
// Regenerate the references after a deliberate UI change (one command, from end2end/):
//
//   E2E_PORT=3918 WALLBOARD_BIN=$HOME/.cache/wallboard-target/release/wallboard \
//     ../node_modules/.bin/playwright test tests/visual.spec.ts --output /tmp/visual-results --update-snapshots=all
//
// (`=all` rewrites every reference, not only those beyond the tolerance; `--output` keeps
// this run's traces out of the shared test-results/). Then run it again without
// `--update-snapshots`, look at the changed PNGs and commit them. The files are
// `<kind>-<theme>-linux.png` and `kiosk-<theme>-linux.png` (Playwright adds the
// platform and writes `high_contrast` as `high-contrast`).
//
// Everything on screen is fixed: pushed rows with fixed numbers and ISO times, an
// uploaded 16×16 PNG built here, and the browser clock stopped at `NOW`.
import { expect, request as newRequest, test, type APIRequestContext, type Page } from '@playwright/test';

const THEMES = ['dark', 'light', 'high_contrast'] as const;
type Theme = (typeof THEMES)[number];

/** The instant the browser clock stops at: the clock widget shows 12:34. */
const NOW = new Date('2024-03-01T12:34:30Z');
/** A 16×16 RGB PNG in four coloured quadrants (red, teal, sand, slate). */
const PNG_16 =
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAIAAACQkWg2AAAAJklEQVR42mN4ZumGFWnN7ceKGEY10ETDyyNZWJGaWzBWNKqBJhoA0jBkUIGzyUMAAAAASUVORK5CYII=';
const TOLERANCE = { maxDiffPixelRatio: 0.02 };

type Rows = Record<string, string | number>[];
interface DatasetSpec {
  fields: Record<string, 'number' | 'text'>;
  rows: Rows;
}

/** The data behind the widgets: fixed rows, pushed once. */
const DATASETS: Record<string, DatasetSpec> = {
  orders: {
    fields: { orders: 'number' },
    rows: [1012, 1090, 1075, 1148, 1180, 1163, 1210, 1234].map((orders) => ({ orders })),
  },
  traffic: {
    fields: { t: 'text', visits: 'number', signups: 'number' },
    rows: [
      [320, 41], [355, 38], [410, 52], [398, 47], [460, 61], [520, 58], [495, 66], [560, 72], [610, 70], [590, 81],
    ].map(([visits, signups], i) => ({
      t: new Date(Date.UTC(2024, 2, 1, 11, 0) + i * 5 * 60_000).toISOString(),
      visits,
      signups,
    })),
  },
  regions: {
    fields: { region: 'text', sales: 'number', returns: 'number' },
    rows: [
      { region: 'North', sales: 420, returns: 35 },
      { region: 'South', sales: 310, returns: 22 },
      { region: 'East', sales: 265, returns: 41 },
      { region: 'West', sales: 380, returns: 18 },
    ],
  },
  channels: {
    fields: { channel: 'text', share: 'number' },
    rows: [
      { channel: 'Web', share: 48 },
      { channel: 'Mobile', share: 31 },
      { channel: 'Partners', share: 14 },
      { channel: 'Phone', share: 7 },
    ],
  },
  load: { fields: { load: 'number' }, rows: [{ load: 72 }] },
  sprint: { fields: { done: 'number' }, rows: [{ done: 64 }] },
  services: {
    fields: { service: 'text', latency: 'number', region: 'text' },
    rows: [
      { service: 'api', latency: 118, region: 'eu-west' },
      { service: 'auth', latency: 42, region: 'eu-west' },
      { service: 'search', latency: 356, region: 'us-east' },
      { service: 'billing', latency: 87, region: 'us-east' },
      { service: 'mail', latency: 640, region: 'ap-south' },
    ],
  },
  players: {
    fields: { name: 'text', score: 'number' },
    rows: [
      { name: 'Ada', score: 9120 },
      { name: 'Grace', score: 8870 },
      { name: 'Linus', score: 8415 },
      { name: 'Margaret', score: 7990 },
      { name: 'Ken', score: 7310 },
      { name: 'Barbara', score: 6805 },
    ],
  },
  health: { fields: { state: 'text' }, rows: [{ state: 'degraded' }] },
};
type DatasetName = keyof typeof DATASETS;

const bind = (dataset: DatasetName, slots: Record<string, string[]>) => ({ dataset, slots, row: { pick: 'last' } });
const steps = (...s: [number, string][]) => ({ steps: s.map(([from, color]) => ({ from, color })) });

interface KindCase {
  kind: string;
  props: (upload: string) => unknown;
  look: Record<string, unknown>;
  binding?: ReturnType<typeof bind>;
  /** Waits until the widget shows its data (beyond "no problem shown"). */
  ready?: (widget: ReturnType<Page['locator']>) => Promise<void>;
}

/** One widget per kind, in grid order (w1 … w13). */
const KINDS: KindCase[] = [
  {
    kind: 'kpi',
    props: () => ({ compare: 'previous', higher_is_better: true, sparkline: true, sparkline_points: 30 }),
    look: { title: 'Orders today', subtitle: 'all shops', thresholds: steps([0, 'red'], [1000, 'green']) },
    binding: bind('orders', { value: ['orders'] }),
    ready: (w) => expect(w.getByTestId('kpi-value')).toHaveText('1,234'),
  },
  {
    kind: 'line',
    props: () => ({ area: false, last_points: 0, last_seconds: 0, from_zero: false, legend: true }),
    look: { title: 'Traffic', subtitle: 'every 5 minutes', time_format: { pattern: '%H:%M', zone: 'UTC' } },
    binding: bind('traffic', { x: ['t'], y: ['visits', 'signups'] }),
    ready: (w) => expect(w.locator('path.series')).toHaveCount(2),
  },
  {
    kind: 'bar',
    props: () => ({ horizontal: false, stacked: false, labels: true, sort: 'none', max_bars: 30, legend: true }),
    look: { title: 'Sales by region' },
    binding: bind('regions', { category: ['region'], values: ['sales', 'returns'] }),
    ready: (w) => expect(w.locator('.bar-chart rect')).toHaveCount(8),
  },
  {
    kind: 'pie',
    props: () => ({ donut: true, max_slices: 6, legend: true, percentages: true }),
    look: { title: 'Orders by channel' },
    binding: bind('channels', { label: ['channel'], value: ['share'] }),
    ready: (w) => expect(w.locator('path.slice')).toHaveCount(4),
  },
  {
    kind: 'gauge',
    props: () => ({ min: 0, max: 100, bands: true }),
    look: { title: 'CPU load', format: { suffix: ' %' }, thresholds: steps([0, 'green'], [60, 'yellow'], [85, 'red']) },
    binding: bind('load', { value: ['load'] }),
    ready: (w) => expect(w.getByTestId('gauge-value')).toContainText('72'),
  },
  {
    kind: 'progress',
    props: () => ({ min: 0, max: 100, target: 80 }),
    look: { title: 'Sprint progress', format: { suffix: ' pts' } },
    binding: bind('sprint', { value: ['done'] }),
  },
  {
    kind: 'table',
    props: () => ({
      columns: [
        { field: 'service', label: 'Service' },
        { field: 'latency', label: 'p95 (ms)', colored: true },
        { field: 'region', label: 'Region' },
      ],
      sort_by: 'latency',
      descending: true,
      flip_secs: 0,
      max_rows: 1000,
    }),
    look: { title: 'Slowest services', thresholds: steps([0, 'green'], [100, 'yellow'], [500, 'red']) },
    binding: bind('services', { columns: ['service', 'latency', 'region'] }),
    ready: (w) => expect(w.locator('tbody tr')).toHaveCount(5),
  },
  {
    kind: 'leaderboard',
    props: () => ({ max_rows: 5, ascending: false }),
    look: { title: 'Top players' },
    binding: bind('players', { label: ['name'], value: ['score'] }),
    ready: (w) => expect(w.getByText('Ada')).toBeVisible(),
  },
  {
    kind: 'text',
    props: () => ({
      markdown: '## Release 4.2\n\nDeploy window **Friday 18:00**, freeze from *Thursday*.\n\nOrders so far: {{value}}',
      size: 24,
      align: 'left',
    }),
    look: { title: 'Notes' },
    binding: bind('orders', { value: ['orders'] }),
    ready: (w) => expect(w.locator('.text-widget')).toContainText('1,234'),
  },
  {
    kind: 'image',
    props: (upload) => ({ source: { from: 'upload', upload }, fill: false, alt: 'Four coloured squares' }),
    look: { title: 'Logo' },
    ready: (w) => expect.poll(() => w.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(16),
  },
  {
    kind: 'clock',
    props: () => ({ countdown: false, until: '', done_text: 'Now' }),
    look: { title: 'Head office', time_format: { pattern: '%H:%M', zone: 'UTC' } },
    ready: (w) => expect(w.getByTestId('clock-time')).toHaveText('12:34'),
  },
  {
    kind: 'status',
    props: () => ({
      mapping: {
        entries: [
          { equals: 'ok', label: 'All good', color: 'green' },
          { equals: 'degraded', label: 'Degraded', color: 'orange' },
          { equals: 'down', label: 'Down', color: 'red' },
        ],
      },
    }),
    look: { title: 'Checkout' },
    binding: bind('health', { value: ['state'] }),
    ready: (w) => expect(w).toContainText('Degraded'),
  },
  {
    // No origin is allowed on the test server, so the embed shows its empty state.
    kind: 'embed',
    props: () => ({ url: '', scripts: false }),
    look: { title: 'Partner page' },
    ready: (w) => expect(w).toContainText('No page chosen'),
  },
];

/** 4 columns × 4 rows of 460×250 boxes on the 1920×1080 canvas. */
const rectOf = (i: number) => ({ x: 20 + (i % 4) * 470, y: 20 + Math.floor(i / 4) * 265, w: 460, h: 250 });
const widgetId = (i: number) => `w${i + 1}`;

async function call(api: APIRequestContext, fn: string, data: unknown) {
  const res = await api.post(`/api/fn/${fn}`, { data });
  expect(res.ok(), `${fn}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

/** Makes the datasets, the picture and one dashboard per theme; returns the dashboard ids. */
async function build(api: APIRequestContext): Promise<Record<Theme, string>> {
  const ids: Record<string, string> = {};
  for (const [name, spec] of Object.entries(DATASETS)) {
    const form = {
      name: `visual-${name}`,
      fields: Object.entries(spec.fields).map(([field, kind]) => ({ name: field, kind })),
      mode: { kind: 'replace' },
    };
    const dataset = await call(api, 'create_push_dataset', { form });
    const { secret } = await call(api, 'create_push_token', { dataset: dataset.id, label: 'visual' });
    const pushed = await api.post(`/api/v1/datasets/${dataset.id}/rows`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: spec.rows,
    });
    expect(pushed.status(), `push ${name}: ${await pushed.text()}`).toBe(200);
    ids[name] = dataset.id;
  }
  const image = await api.post('/api/v1/images?name=x.png', {
    headers: { 'Content-Type': 'application/octet-stream' },
    data: Buffer.from(PNG_16, 'base64'),
  });
  expect(image.ok(), `image upload: ${await image.text()}`).toBeTruthy();
  const { id: upload } = await image.json();

  const dashboards = {} as Record<Theme, string>;
  for (const theme of THEMES) {
    const name = `Visual ${theme}`;
    const id = await call(api, 'create_dashboard', { name });
    const widgets = KINDS.map((k, i) => ({
      id: widgetId(i),
      rect: rectOf(i),
      kind: k.kind,
      props: k.props(upload),
      look: k.look,
      ...(k.binding ? { binding: { ...k.binding, dataset: ids[k.binding.dataset] } } : {}),
    }));
    await call(api, 'save_dashboard', {
      id,
      revision: 1,
      dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 }, theme, widgets },
    });
    dashboards[theme] = id;
  }
  return dashboards;
}

/** Opens the theme's kiosk at 1920×1080 with a frozen clock and waits until every widget shows its data. */
async function openKiosk(page: Page, id: string, only?: number) {
  await page.setViewportSize({ width: 1920, height: 1080 });
  // The clock runs from 59 s before `NOW` while the page loads and hydrates, then
  // stops at `NOW`: the widget's tick must change the text the server rendered.
  await page.clock.install({ time: new Date(NOW.getTime() - 59_000) });
  await page.goto(`/kiosk/${id}`);
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
  await page.clock.pauseAt(NOW);
  for (const [i, k] of KINDS.entries()) {
    if (only !== undefined && i !== only) continue;
    const widget = page.locator(`.widget[data-widget=${widgetId(i)}]`);
    await expect(widget.locator(`.kind-${k.kind}`)).toBeVisible();
    await expect(widget.getByTestId('widget-unbound')).toHaveCount(0);
    await expect(widget.getByTestId('widget-problem')).toBeHidden();
    await expect(widget.getByTestId('widget-stale')).toBeHidden();
    await k.ready?.(widget);
  }
  await page.evaluate(() => document.fonts.ready);
}

let dashboards: Record<Theme, string>;

test.beforeAll(async ({}, info) => {
  const api = await newRequest.newContext({ baseURL: info.project.use.baseURL });
  try {
    dashboards = await build(api);
  } finally {
    await api.dispose();
  }
});

for (const theme of THEMES) {
  test.describe(`${theme} theme`, () => {
    for (const [i, k] of KINDS.entries()) {
      test(`the ${k.kind} widget in the ${theme} theme matches ${k.kind}-${theme}.png`, async ({ page }) => {
        await openKiosk(page, dashboards[theme], i);
        await expect(page.locator(`.widget[data-widget=${widgetId(i)}]`)).toHaveScreenshot(`${k.kind}-${theme}.png`, TOLERANCE);
      });
    }
    test(`the whole kiosk in the ${theme} theme matches kiosk-${theme}.png`, async ({ page }) => {
      await openKiosk(page, dashboards[theme]);
      await expect(page).toHaveScreenshot(`kiosk-${theme}.png`, { ...TOLERANCE, fullPage: true });
    });
  });
}
