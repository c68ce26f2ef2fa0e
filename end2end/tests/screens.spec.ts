// Screens on the wall, as an office does it: a TV (a browser with no account) opens
// /tv and shows a code; an editor types it under Screens → Add screen and the TV
// switches to the dashboard without anyone touching it; then to a playlist whose two
// slides rotate on time and both follow pushes; a widget whose data stops goes stale;
// the TV keeps the panel awake and hides a resting cursor; unpaired, it shows a code
// again.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { callFn, createPushed, type PushedDataset } from './support/pushed';

/** A TV: a fresh browser context, not signed in, with Screen Wake Lock stubbed (headless
 *  Chromium has none) so the test can see the page ask for it. */
async function openTv(browser: Browser, baseURL: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  await context.addInitScript(() => {
    (window as any).__wakeLocks = 0;
    Object.defineProperty(navigator, 'wakeLock', {
      configurable: true,
      value: { request: async () => { (window as any).__wakeLocks += 1; return { release: async () => {} }; } },
    });
  });
  const tv = await context.newPage();
  await tv.goto('/tv');
  return tv;
}

/** A dashboard of one KPI on `data`; `look` may carry the widget's own "stale after". */
async function dashboardOn(request: Parameters<typeof callFn>[0], name: string, data: PushedDataset, look: object = {}) {
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 600, h: 300 }, kind: 'kpi', props: {},
        look: { title: name, ...look },
        binding: { dataset: data.id, slots: { value: ['n'] }, row: { pick: 'last' } } }] },
  });
  return id;
}

test('a TV pairs by code, switches to what it is given, rotates a playlist, and unpairs', async ({ page, request, browser, baseURL }) => {
  test.setTimeout(120_000);
  const stamp = Date.now();
  const data = await createPushed(request, `tv ${stamp}`, { n: 'number' }, { kind: 'replace' }, [{ n: 11 }]);
  const first = `Lobby ${stamp}`;
  const second = `Sales ${stamp}`;
  // The first widget says when it is stale itself; the second follows its dataset's
  // "stale after" (a pushed dataset has no interval to go by).
  await dashboardOn(request, first, data, { stale_after_secs: 3 });
  await dashboardOn(request, second, data);
  await callFn(request, 'update_dataset_basics', { id: data.id, name: data.name, stale_after_secs: 4 });

  const tv = await openTv(browser, baseURL!);
  const code = (await tv.getByTestId('tv-code').textContent())!.replace(/\s/g, '');
  expect(code).toMatch(/^[A-Z2-9]{6}$/);

  // The editor claims it on the Screens page; the TV switches by itself.
  await page.goto('/screens');
  await page.getByTestId('pair-code').fill(code.toLowerCase());
  await page.getByTestId('pair-name').fill(`Lobby TV ${stamp}`);
  await page.getByTestId('pair-shows').selectOption({ label: first });
  await page.getByTestId('pair-go').click();
  await expect(page.getByTestId('screen-row')).not.toHaveCount(0);
  const slide = tv.getByTestId('tv-slide');
  await expect(slide).toHaveCount(1, { timeout: 3000 });
  await expect(slide).toHaveAttribute('data-name', first);
  await expect(slide.locator('[data-widget=w1]')).toContainText('11');

  // It keeps the panel awake, hides a resting cursor, and lists itself online.
  expect(await tv.evaluate(() => (window as any).__wakeLocks)).toBeGreaterThan(0);
  await tv.mouse.move(200, 200);
  await expect(tv.getByTestId('tv')).not.toHaveClass(/idle/);
  await expect(tv.getByTestId('tv')).toHaveClass(/idle/, { timeout: 5000 });
  expect(await tv.getByTestId('tv').evaluate((el) => getComputedStyle(el).cursor)).toBe('none');
  await page.reload();
  await expect(page.getByTestId('screen-seen').first()).toContainText('online');

  // A playlist of both, made in the page, then assigned: two slides, rotating.
  await page.getByTestId('new-playlist').click();
  const editor = page.getByTestId('playlist-editor');
  await editor.getByTestId('playlist-name').fill(`Rotation ${stamp}`);
  await editor.getByTestId('add-slide').click();
  await editor.getByTestId('add-slide').click();
  await editor.getByTestId('slide-dashboard').nth(0).selectOption({ label: first });
  await editor.getByTestId('slide-dashboard').nth(1).selectOption({ label: second });
  for (const i of [0, 1]) await editor.getByTestId('slide-seconds').nth(i).fill('5');
  await editor.getByTestId('slide-seconds').nth(1).press('Tab');
  await editor.getByTestId('playlist-save').click();
  await expect(editor).toHaveCount(0);
  const saved = (await callFn(request, 'list_playlists', {})).find((p: any) => p.playlist.name === `Rotation ${stamp}`);
  expect(saved.playlist.slides.map((s: any) => s.seconds)).toEqual([5, 5]);
  await page.getByTestId('screen-shows').first().selectOption({ label: `Rotation ${stamp} (playlist)` });
  await expect(slide).toHaveCount(2, { timeout: 3000 });
  const current = tv.locator('[data-testid=tv-slide][data-current=true]');
  await expect(current).toHaveAttribute('data-name', first);
  await expect(current).toHaveAttribute('data-name', second, { timeout: 8000 });
  await expect(current).toHaveAttribute('data-name', first, { timeout: 8000 });
  // Both slides follow a push, the hidden one included.
  await data.push([{ n: 77 }]);
  for (const i of [0, 1]) await expect(slide.nth(i).locator('[data-widget=w1]')).toContainText('77');

  // The data stops: after the widget's 3 s and the dataset's 4 s, each says how old it is.
  await expect(slide.first().getByTestId('widget-stale')).toBeVisible({ timeout: 8000 });
  for (const i of [0, 1]) {
    await expect(slide.nth(i).getByTestId('widget-stale')).toContainText('stale', { timeout: 8000 });
  }

  // The same playlist through a share link, opened by someone with no account.
  const rotation = page.getByTestId('playlist-row').filter({ hasText: `Rotation ${stamp}` });
  await rotation.getByTestId('playlist-share').click();
  const url = await rotation.getByTestId('playlist-share-url').textContent();
  const guest = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const shared = await guest.newPage();
  await shared.goto(url!);
  await expect(shared.getByTestId('tv-slide')).toHaveCount(2);
  await expect(shared.locator('[data-testid=tv-slide][data-current=true]')).toHaveAttribute('data-name', second, { timeout: 8000 });
  await guest.close();

  // Unpaired: the TV shows a code again, at once.
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('screen-unpair').first().click();
  await expect(tv.getByTestId('tv-code')).toBeVisible({ timeout: 3000 });
  await expect(page.getByTestId('screen-row')).toHaveCount(0);
  await tv.context().close();
});
