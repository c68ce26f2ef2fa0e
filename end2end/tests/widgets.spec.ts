// Every widget kind, as an author builds it and a wall shows it: dragged from the
// palette with the mouse, bound to a pushed dataset through the inspector, saved and
// shared; the first HTML of the view, kiosk and share pages already holds the value,
// and a push reaches all three without a reload. Kinds without data get what applies
// to them (a ticking clock, safe markdown, an image by address, a refused embed), and
// the view page's legends and table headers react to clicks where the kiosk's do not.
import { expect, test, type APIRequestContext, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { createShareLink, dropFromPalette, saveEditor, waitLive } from './support/actions';
import { callFn, createPushed, type PushMode, type Row } from './support/pushed';

/** Where a check looks: a live page, the HTML the server sent, or the editor's canvas. */
type Root = Page | Locator;

interface DataCase {
  kind: string;
  fields: Record<string, 'number' | 'text'>;
  mode: PushMode;
  rows: Row[];
  /** Sets the slots (and anything else the kind needs) through the inspector. */
  bind(inspector: Locator): Promise<void>;
  /** What shows for `rows`. */
  before(root: Root): Promise<void>;
  /** Pushed once the screens are live. */
  next: Row[];
  /** What shows for `next`. */
  after(root: Root): Promise<void>;
}

const replace: PushMode = { kind: 'replace' };
const append: PushMode = { kind: 'append', max_rows: 100 };
const at = (s: number) => `2024-03-01T12:00:0${s}Z`;
/** An SVG path through `n` points: `M x,y` then `n - 1` times `L x,y`. */
const pathOf = (n: number) => new RegExp(`^M-?[\\d.]+,-?[\\d.]+(L-?[\\d.]+,-?[\\d.]+){${n - 1}}$`);
const select = (inspector: Locator, slot: string, field: string) =>
  inspector.locator(`select[name=slot-${slot}]`).selectOption(field);
const tick = (inspector: Locator, slot: string, field: string, on: boolean) =>
  inspector.locator(`input[name=slot-${slot}][value=${field}]`).setChecked(on);

// Each dataset has a decoy field of the same kind before the one to bind, so a check
// passes only if the inspector's choice, not the suggested default, reached the screen.
const cases: DataCase[] = [
  {
    kind: 'kpi',
    fields: { decoy: 'number', orders: 'number' },
    mode: replace,
    rows: [{ decoy: 1, orders: 42 }],
    bind: (i) => select(i, 'value', 'orders'),
    before: (r) => expect(r.locator('.kind-kpi [data-testid=kpi-value]')).toHaveText('42'),
    next: [{ decoy: 2, orders: 57 }],
    after: (r) => expect(r.locator('.kind-kpi [data-testid=kpi-value]')).toHaveText('57'),
  },
  {
    kind: 'line',
    fields: { t: 'text', decoy: 'number', a: 'number' },
    mode: append,
    rows: [{ t: at(0), decoy: 9, a: 3 }, { t: at(1), decoy: 9, a: 5 }, { t: at(2), decoy: 9, a: 4 }],
    bind: async (i) => {
      await select(i, 'x', 't');
      await tick(i, 'y', 'a', true);
      await tick(i, 'y', 'decoy', false);
    },
    before: async (r) => {
      await expect(r.locator('.kind-line path.series')).toHaveCount(1);
      await expect(r.locator('.kind-line path.series[data-series="0"]')).toHaveAttribute('d', pathOf(3));
    },
    next: [{ t: at(3), decoy: 9, a: 8 }],
    after: (r) => expect(r.locator('.kind-line path.series[data-series="0"]')).toHaveAttribute('d', pathOf(4)),
  },
  {
    kind: 'bar',
    fields: { region: 'text', decoy: 'number', sales: 'number' },
    mode: replace,
    rows: [{ region: 'north', decoy: 1, sales: 30 }, { region: 'south', decoy: 1, sales: 20 }],
    bind: async (i) => {
      await select(i, 'category', 'region');
      await tick(i, 'values', 'sales', true);
      await tick(i, 'values', 'decoy', false);
    },
    before: async (r) => {
      // Value labels and categories on every screen (tooltips only where a person
      // can point: not on kiosks).
      await expect(r.locator('.kind-bar .bar-chart rect')).toHaveCount(2);
      await expect(r.locator('.kind-bar .bar-chart .bar-label')).toHaveText(['30', '20']);
      await expect(r.locator('.kind-bar .bar-chart .categories text')).toHaveText(['north', 'south']);
    },
    next: [{ region: 'north', decoy: 1, sales: 30 }, { region: 'south', decoy: 1, sales: 20 }, { region: 'west', decoy: 1, sales: 50 }],
    after: async (r) => {
      await expect(r.locator('.kind-bar .bar-chart rect')).toHaveCount(3);
      await expect(r.locator('.kind-bar .bar-chart .bar-label')).toHaveText(['30', '20', '50']);
      await expect(r.locator('.kind-bar .bar-chart .categories text').nth(2)).toHaveText('west');
    },
  },
  {
    kind: 'pie',
    fields: { fruit: 'text', decoy: 'number', n: 'number' },
    mode: replace,
    rows: [{ fruit: 'apples', decoy: 1, n: 3 }, { fruit: 'pears', decoy: 1, n: 1 }],
    bind: async (i) => {
      await select(i, 'label', 'fruit');
      await select(i, 'value', 'n');
    },
    before: async (r) => {
      await expect(r.locator('.kind-pie path.slice')).toHaveCount(2);
      await expect(r.locator('.kind-pie path.slice').first()).toHaveAttribute('d', /^M.+Z$/);
      await expect(r.locator('.kind-pie .pie-legend .name')).toHaveText(['apples', 'pears']);
      await expect(r.locator('.kind-pie .pie-legend .value')).toHaveText(['75 %', '25 %']);
    },
    next: [{ fruit: 'apples', decoy: 1, n: 3 }, { fruit: 'pears', decoy: 1, n: 1 }, { fruit: 'plums', decoy: 1, n: 4 }],
    after: async (r) => {
      await expect(r.locator('.kind-pie path.slice')).toHaveCount(3);
      await expect(r.locator('.kind-pie .pie-legend .name')).toHaveText(['plums', 'apples', 'pears']);
    },
  },
  {
    kind: 'gauge',
    fields: { decoy: 'number', load: 'number' },
    mode: replace,
    rows: [{ decoy: 1, load: 42 }],
    bind: (i) => select(i, 'value', 'load'),
    before: async (r) => {
      await expect(r.locator('.kind-gauge [data-testid=gauge-value]')).toHaveText('42');
      await expect(r.locator('.kind-gauge path.gauge-value')).toHaveAttribute('d', /^M.+A.+/);
    },
    next: [{ decoy: 2, load: 73 }],
    after: (r) => expect(r.locator('.kind-gauge [data-testid=gauge-value]')).toHaveText('73'),
  },
  {
    kind: 'progress',
    fields: { decoy: 'number', done: 'number' },
    mode: replace,
    rows: [{ decoy: 1, done: 42 }],
    bind: (i) => select(i, 'value', 'done'),
    before: async (r) => {
      await expect(r.locator('.kind-progress [data-testid=progress-value]')).toHaveText('42');
      await expect(r.locator('.kind-progress .progress-fill')).toHaveAttribute('style', /width:42\.00%/);
    },
    next: [{ decoy: 2, done: 73 }],
    after: async (r) => {
      await expect(r.locator('.kind-progress [data-testid=progress-value]')).toHaveText('73');
      await expect(r.locator('.kind-progress .progress-fill')).toHaveAttribute('style', /width:73\.00%/);
    },
  },
  {
    kind: 'table',
    fields: { host: 'text', cpu: 'number', note: 'text' },
    mode: replace,
    rows: [{ host: 'alpha', cpu: 12, note: 'n1' }, { host: 'beta', cpu: 34, note: 'n2' }],
    bind: async (i) => {
      await tick(i, 'columns', 'host', true);
      await tick(i, 'columns', 'cpu', true);
      await tick(i, 'columns', 'note', false);
    },
    before: async (r) => {
      await expect(r.locator('.kind-table .table-widget th')).toHaveText(['host', 'cpu']);
      await expect(r.locator('.kind-table .table-widget td:visible')).toHaveText(['alpha', '12', 'beta', '34']);
    },
    next: [{ host: 'gamma', cpu: 56, note: 'n3' }],
    after: (r) => expect(r.locator('.kind-table .table-widget td:visible')).toHaveText(['gamma', '56']),
  },
  {
    kind: 'leaderboard',
    fields: { player: 'text', decoy: 'number', score: 'number' },
    mode: replace,
    rows: [{ player: 'ann', decoy: 100, score: 3 }, { player: 'bob', decoy: 0, score: 5 }],
    bind: async (i) => {
      await select(i, 'label', 'player');
      await select(i, 'value', 'score');
    },
    before: async (r) => {
      await expect(r.locator('.kind-leaderboard .leaderboard li .name')).toHaveText(['bob', 'ann']);
      await expect(r.locator('.kind-leaderboard .leaderboard li .score')).toHaveText(['5', '3']);
    },
    next: [{ player: 'ann', decoy: 100, score: 9 }, { player: 'bob', decoy: 0, score: 5 }],
    after: async (r) => {
      await expect(r.locator('.kind-leaderboard .leaderboard li .name')).toHaveText(['ann', 'bob']);
      await expect(r.locator('.kind-leaderboard .leaderboard li .score')).toHaveText(['9', '5']);
    },
  },
  {
    kind: 'status',
    fields: { decoy: 'text', state: 'text' },
    mode: replace,
    rows: [{ decoy: 'nope', state: 'up' }],
    bind: (i) => select(i, 'value', 'state'),
    before: (r) => expect(r.locator('.kind-status [data-testid=status-label]')).toHaveText('up'),
    next: [{ decoy: 'nope', state: 'down' }],
    after: (r) => expect(r.locator('.kind-status [data-testid=status-label]')).toHaveText('down'),
  },
  {
    kind: 'text',
    fields: { decoy: 'number', orders: 'number' },
    mode: replace,
    rows: [{ decoy: 1, orders: 42 }],
    bind: async (i) => {
      await i.locator('textarea[name=markdown]').fill('## Orders\n\nToday: **{{value}}** orders');
      await select(i, 'value', 'orders');
    },
    before: async (r) => {
      await expect(r.locator('.kind-text .text-widget h2')).toHaveText('Orders');
      await expect(r.locator('.kind-text .text-widget strong')).toHaveText('42');
      await expect(r.locator('.kind-text .text-widget p')).toHaveText('Today: 42 orders');
    },
    next: [{ decoy: 2, orders: 57 }],
    after: (r) => expect(r.locator('.kind-text .text-widget p')).toHaveText('Today: 57 orders'),
  },
  {
    kind: 'image',
    fields: { pic: 'text' },
    mode: replace,
    rows: [{ pic: 'https://example.com/first.png' }],
    bind: (i) => select(i, 'url', 'pic'),
    before: (r) => expect(r.locator('.kind-image .image-widget img')).toHaveAttribute('src', 'https://example.com/first.png'),
    next: [{ pic: 'https://example.com/second.png' }],
    after: (r) => expect(r.locator('.kind-image .image-widget img')).toHaveAttribute('src', 'https://example.com/second.png'),
  },
];

// Pictures from example.com are served by the test (a 1×1 PNG): no network needed.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
test.beforeEach(async ({ context }) => {
  await context.route(/^https:\/\/example\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: 'image/png', body: PNG }));
});

/** A new dashboard open in the editor, live. */
async function openEditor(page: Page, name: string): Promise<string> {
  const id: string = await callFn(page.request, 'create_dashboard', { name });
  await page.goto(`/edit/${id}`);
  await waitLive(page);
  return id;
}

/** The screens of dashboard `id` shared as `share`: view, kiosk and the share page. */
const screensOf = (id: string, share: string) => [`/view/${id}`, `/kiosk/${id}`, share];

/**
 * The HTML the server sends for `path`, loaded as it came into a page that runs no
 * script: what a screen shows before any JavaScript, and what checks can query.
 */
async function firstPaint(browser: Browser, request: APIRequestContext, path: string): Promise<{ html: string; root: Page; close(): Promise<void> }> {
  const res = await request.get(path);
  expect(res.status(), `${path} status`).toBe(200);
  const html = await res.text();
  const context = await browser.newContext({ javaScriptEnabled: false });
  await context.route('**/*', (route) => route.abort());
  const root = await context.newPage();
  await root.setContent(html, { waitUntil: 'domcontentloaded' });
  return { html, root, close: () => context.close() };
}

/** Opens `paths` in `context`, each live. */
async function openLive(context: BrowserContext, paths: string[]): Promise<Page[]> {
  const pages: Page[] = [];
  for (const path of paths) {
    const p = await context.newPage();
    await p.goto(path);
    await waitLive(p);
    pages.push(p);
  }
  return pages;
}

for (const c of cases) {
  test(`${/^[aeiou]/.test(c.kind) ? 'an' : 'a'} ${c.kind} widget is dropped, bound in the inspector, first painted with its value and follows pushes on every screen`, async ({ page, context, browser, request }) => {
    const dataset = await createPushed(page.request, `e2e ${c.kind} ${Date.now()}`, c.fields, c.mode, c.rows);
    const id = await openEditor(page, `Widgets: ${c.kind}`);

    // Drag it from the palette, then bind it through the inspector.
    await dropFromPalette(page, c.kind);
    const canvas = page.getByTestId('canvas');
    await expect(canvas.locator(`.widget .wb.kind-${c.kind}`)).toHaveCount(1);
    const inspector = page.getByTestId('inspector');
    await inspector.locator('select[name=dataset]').selectOption(dataset.id);
    await c.bind(inspector);
    await c.before(canvas);
    await expect(canvas.getByTestId('widget-problem')).toBeHidden();
    await saveEditor(page);
    const share = await createShareLink(page);
    await page.close();

    // The first HTML of every screen already shows the value.
    const paths = screensOf(id, share);
    for (const path of paths) {
      const paint = await firstPaint(browser, request, path);
      try {
        await test.step(`first paint of ${path}`, () => c.before(paint.root));
      } finally {
        await paint.close();
      }
    }

    // Live, a push shows on all three without a reload.
    const screens = await openLive(context, paths);
    for (const p of screens) await c.before(p);
    await dataset.push(c.next);
    for (const [i, p] of screens.entries()) {
      await test.step(`after the push on ${paths[i]}`, () => c.after(p));
    }
  });
}

test('a clock shows the time in the first HTML and ticks on every screen', async ({ page, context, browser, request }) => {
  const id = await openEditor(page, 'Widgets: clock');
  await dropFromPalette(page, 'clock');
  const time = /^\d{2}:\d{2}:\d{2}$/;
  await expect(page.getByTestId('canvas').getByTestId('clock-time')).toHaveText(time);
  await saveEditor(page);
  const share = await createShareLink(page);
  await page.close();

  const paths = screensOf(id, share);
  for (const path of paths) {
    const paint = await firstPaint(browser, request, path);
    await expect(paint.root.locator('.kind-clock [data-testid=clock-time]'), path).toHaveText(time);
    await paint.close();
  }
  for (const [i, p] of (await openLive(context, paths)).entries()) {
    const clock = p.locator('.kind-clock [data-testid=clock-time]');
    const first = await clock.textContent();
    expect(first, paths[i]).toMatch(time);
    await expect(clock, `${paths[i]} ticks`).not.toHaveText(first!, { timeout: 3_000 });
    await expect(clock).toHaveText(time);
  }
});

test('a text widget renders markdown and never the HTML or script links written in it', async ({ page, context, browser, request }) => {
  const id = await openEditor(page, 'Widgets: text');
  await dropFromPalette(page, 'text');
  const markdown = [
    '# Notice',
    '',
    '<script>window.wbPwned = 1</script>',
    '',
    '<img src=x onerror="window.wbPwned = 2">',
    '',
    'Go [click me](javascript:window.wbPwned=3) or read [the docs](https://example.com/docs).',
  ].join('\n');
  await page.getByTestId('inspector').locator('textarea[name=markdown]').fill(markdown);

  const safe = async (root: Root, where: string) => {
    const text = root.locator('.kind-text .text-widget');
    await expect(text.locator('h1'), where).toHaveText('Notice');
    await expect(text.locator('script, img, [onerror]'), where).toHaveCount(0);
    await expect(text, where).toContainText('<script>window.wbPwned = 1</script>');
    await expect(text, where).toContainText('click me');
    await expect(text.locator('a[href^="javascript" i]'), where).toHaveCount(0);
    await expect(text.locator('a', { hasText: 'click me' }), where).toHaveCount(0);
    await expect(text.locator('a', { hasText: 'the docs' }), where).toHaveAttribute('href', 'https://example.com/docs');
  };
  await safe(page.getByTestId('canvas'), 'editor');
  expect(await page.evaluate(() => (window as { wbPwned?: number }).wbPwned)).toBeUndefined();
  await saveEditor(page);
  const share = await createShareLink(page);
  await page.close();

  const paths = screensOf(id, share);
  for (const path of paths) {
    const paint = await firstPaint(browser, request, path);
    // Nowhere in the page, not even in the data handed to hydration, is it markup.
    expect(paint.html, path).not.toContain('<script>window.wbPwned');
    expect(paint.html, path).not.toContain('<img src=x');
    await safe(paint.root, `${path} first paint`);
    await paint.close();
  }
  for (const [i, p] of (await openLive(context, paths)).entries()) {
    await safe(p, paths[i]);
    expect(await p.evaluate(() => (window as { wbPwned?: number }).wbPwned), paths[i]).toBeUndefined();
  }
});

test('an image by address shows that picture on every screen from the first HTML', async ({ page, context, browser, request }) => {
  const id = await openEditor(page, 'Widgets: image');
  await dropFromPalette(page, 'image');
  const src = 'https://example.com/logo.png';
  await page.getByTestId('inspector').locator('input[name=image_url]').fill(src);
  const img = (root: Root) => root.locator('.kind-image .image-widget img');
  await expect(img(page.getByTestId('canvas'))).toHaveAttribute('src', src);
  await saveEditor(page);
  const share = await createShareLink(page);
  await page.close();

  const paths = screensOf(id, share);
  for (const path of paths) {
    const paint = await firstPaint(browser, request, path);
    await expect(img(paint.root), path).toHaveAttribute('src', src);
    await paint.close();
  }
  for (const [i, p] of (await openLive(context, paths)).entries()) {
    await expect(img(p), paths[i]).toHaveAttribute('src', src);
    // The picture really loads (the test serves it): the page allows it.
    await expect.poll(() => img(p).evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 5_000 }).toBe(1);
  }
});

test('an embed of an origin the operator has not allowed is refused, naming the origin', async ({ page }) => {
  const id = await openEditor(page, 'Widgets: embed');
  await dropFromPalette(page, 'embed');
  const url = 'https://elsewhere.example.org/board';
  await page.getByTestId('inspector').locator('input[name=embed_url]').fill(url);
  const canvas = page.getByTestId('canvas');
  await expect(canvas.locator('.kind-embed iframe')).toHaveCount(0);
  await expect(canvas.locator('.kind-embed [data-testid=embed-refused]')).toContainText('https://elsewhere.example.org');

  // Saving (by itself, or pressing Save) is refused by the server with a message naming
  // the origin, and the stored dashboard holds no such embed.
  const state = page.getByTestId('save-state');
  await expect(state).toContainText('https://elsewhere.example.org is not an allowed origin');
  await page.getByTestId('save').click();
  await expect(state).toContainText('https://elsewhere.example.org is not an allowed origin');
  const stored = await callFn(page.request, 'load_screen', { id });
  expect(JSON.stringify(stored.dashboard.widgets)).not.toContain('elsewhere.example.org');
});

test('on the view page legends hide series, headers sort rows and bars have tooltips; on the kiosk they are disabled', async ({ page, request }) => {
  const series = await createPushed(request, `e2e series ${Date.now()}`, { t: 'text', a: 'number', b: 'number' }, append, [
    { t: at(0), a: 1, b: 10 }, { t: at(1), a: 2, b: 20 }, { t: at(2), a: 3, b: 15 },
  ]);
  const hosts = await createPushed(request, `e2e hosts ${Date.now()}`, { host: 'text', cpu: 'number' }, replace, [
    { host: 'alpha', cpu: 12 }, { host: 'beta', cpu: 34 }, { host: 'gamma', cpu: 5 },
  ]);
  const id: string = await callFn(request, 'create_dashboard', { name: 'Widgets: interaction' });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: {
      schema_version: 2, name: 'Widgets: interaction', resolution: { width: 1920, height: 1080 },
      widgets: [
        { id: 'w1', rect: { x: 0, y: 0, w: 900, h: 500 }, kind: 'line', props: {},
          binding: { dataset: series.id, slots: { x: ['t'], y: ['a', 'b'] } } },
        { id: 'w2', rect: { x: 960, y: 0, w: 760, h: 420 }, kind: 'table', props: { flip_secs: 0 },
          binding: { dataset: hosts.id, slots: { columns: ['host', 'cpu'] } } },
        { id: 'w3', rect: { x: 0, y: 560, w: 640, h: 400 }, kind: 'bar', props: {},
          binding: { dataset: hosts.id, slots: { category: ['host'], values: ['cpu'] } } },
      ],
    },
  });
  const lines = (p: Page) => p.locator('.kind-line path.series');
  const legend = (p: Page) => p.locator('.kind-line .legend-entry');
  const header = (p: Page, name: string) => p.locator('.kind-table th button', { hasText: name });
  const firstColumn = (p: Page) => p.locator('.kind-table tbody tr td:first-child');
  const bars = (p: Page) => p.locator('.kind-bar .bars rect');

  await page.goto(`/view/${id}`);
  await waitLive(page);
  await expect(bars(page).locator('title')).toHaveText(['alpha · cpu: 12', 'beta · cpu: 34', 'gamma · cpu: 5']);
  await expect(legend(page)).toHaveText(['a', 'b']);
  await expect(lines(page)).toHaveCount(2);
  await legend(page).first().click();
  await expect(lines(page)).toHaveCount(1);
  await expect(page.locator('.kind-line path.series[data-series="1"]')).toHaveCount(1);
  await expect(legend(page).first()).toHaveAttribute('aria-pressed', 'false');
  await legend(page).first().click();
  await expect(lines(page)).toHaveCount(2);

  await expect(firstColumn(page)).toHaveText(['alpha', 'beta', 'gamma']);
  await header(page, 'cpu').click();
  await expect(firstColumn(page)).toHaveText(['beta', 'alpha', 'gamma']);
  await expect(header(page, 'cpu')).toHaveText('cpu ▼');
  await header(page, 'cpu').click();
  await expect(firstColumn(page)).toHaveText(['gamma', 'alpha', 'beta']);
  await header(page, 'host').click();
  await expect(firstColumn(page)).toHaveText(['gamma', 'beta', 'alpha']);

  await page.goto(`/kiosk/${id}`);
  await waitLive(page);
  await expect(legend(page)).toHaveCount(2);
  for (const entry of await legend(page).all()) await expect(entry).toBeDisabled();
  for (const th of await page.locator('.kind-table th button').all()) await expect(th).toBeDisabled();
  await legend(page).first().click({ force: true });
  await header(page, 'cpu').click({ force: true });
  await expect(lines(page)).toHaveCount(2);
  await expect(firstColumn(page)).toHaveText(['alpha', 'beta', 'gamma']);
  await expect(bars(page)).toHaveCount(3);
  await expect(bars(page).locator('title')).toHaveCount(0);
});
