// The thin slice, as a new user tries it: create a dashboard, drag a KPI onto the
// canvas, move and resize it, save, reload, bind it to a JSON API, share it, and watch
// a change at the source reach the editor, the view, the kiosk and the share pages.
import { expect, test, type Page } from '@playwright/test';
import { center, drag, waitLive } from './support/actions';
import { expectKpi, geometry } from './support/checks';
import { startSource } from './support/source';

test('a dashboard is built, saved, bound, shared and updates live everywhere', async ({ page, context, request }) => {
  const source = await startSource(100);
  try {
    // Create a dashboard from the home page.
    await page.goto('/');
    await page.getByPlaceholder('Name').fill('Sales floor');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/edit\/[0-9a-f]+$/);
    const editUrl = page.url();
    await waitLive(page);

    // Drag a KPI from the palette onto the canvas.
    const canvas = page.getByTestId('canvas');
    const target = await center(canvas);
    await drag(page, await center(page.locator('.palette-item[data-kind=kpi]')), target);
    const widget = canvas.locator('.widget');
    await expect(widget).toHaveCount(1);
    const placed = await geometry(page);
    expect(placed.w).toBe(400);
    expect(placed.h).toBe(240);
    // It lands where it was dropped: centred on the drop point, within the grid step.
    expect(Math.abs(placed.x + placed.w / 2 - 960)).toBeLessThanOrEqual(20);

    // Move it by its body: 150 screen pixels right, 80 down.
    const scale = 1920 / (await canvas.boundingBox())!.width;
    const body = await center(widget);
    await drag(page, body, { x: body.x + 150, y: body.y + 80 });
    const moved = await geometry(page);
    // Within the snapping reach (6 screen pixels) or the grid step, whichever is larger.
    const reach = Math.max(10, Math.ceil(6 * scale) + 1);
    expect(Math.abs(moved.x - (placed.x + 150 * scale))).toBeLessThanOrEqual(reach);
    expect(Math.abs(moved.y - (placed.y + 80 * scale))).toBeLessThanOrEqual(reach);

    // Resize it by its bottom-right handle.
    const handle = await center(page.getByTestId('handle-se'));
    await drag(page, handle, { x: handle.x + 100, y: handle.y + 60 });
    const resized = await geometry(page);
    expect(resized.x).toBe(moved.x);
    expect(Math.abs(resized.w - (moved.w + 100 * scale))).toBeLessThanOrEqual(reach);
    expect(Math.abs(resized.h - (moved.h + 60 * scale))).toBeLessThanOrEqual(reach);

    // Nudge it with the keyboard: one grid step (10 design pixels) right.
    await page.keyboard.press('ArrowRight');
    const nudged = await geometry(page);
    expect(nudged).toEqual({ ...resized, x: resized.x + 10 });

    // Save; a reload shows the same layout.
    await expect(page.getByTestId('save-state')).toHaveText('Unsaved changes');
    await page.getByTestId('save').click();
    await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
    const placement = async () => (await widget.getAttribute('style'))!.replace(/;$/, '');
    const before = await placement();
    await page.reload();
    await waitLive(page);
    expect(await placement()).toBe(before);
    await widget.click();
    expect(await geometry(page)).toEqual(nudged);

    // Bind it to a JSON API through Connect data: Create only once Test has read it.
    await page.getByTestId('open-connect').click();
    const dialog = page.getByTestId('connect-data');
    await dialog.locator('input[name=http-url]').fill(source.url);
    await dialog.locator('input[name=dataset-refresh]').fill('1');
    await expect(dialog.getByTestId('create-dataset')).toBeDisabled();
    await dialog.getByTestId('test-source').click();
    await dialog.getByTestId('create-dataset').click();
    await expect(dialog).toHaveCount(0);
    await expectKpi(page, '100');
    await page.getByTestId('save').click();
    await expect(page.getByTestId('save-state')).toHaveText('All changes saved');

    // Share it: select nothing, create a link.
    await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('create-share').click();
    const shareHref = await page.getByTestId('share-link').first().getAttribute('href');
    expect(shareHref).toMatch(/^\/s\/[A-Za-z0-9_-]{43}$/);

    // Every screen shows the current value in its first HTML, then follows the source.
    const id = editUrl.split('/').pop()!;
    const screens: Page[] = [page];
    for (const path of [`/view/${id}`, `/kiosk/${id}`, shareHref!, `${shareHref}/kiosk`]) {
      // Hydration markers (`<!>`) are not part of what is shown.
      const html = (await (await request.get(path)).text()).replaceAll('<!>', '');
      expect(html, `${path} first paint`).toContain('>100</div>');
      const p = await context.newPage();
      await p.goto(path);
      await waitLive(p);
      await expectKpi(p, '100');
      screens.push(p);
    }
    source.set(250);
    for (const p of screens) await expectKpi(p, '250');

    // The source goes away: the last good value stays, with the reason beside it;
    // share pages (the last two screens) say only that the source is unavailable.
    const closing = source.close();
    for (const [i, p] of screens.entries()) {
      const reason = i < 3 ? /refused|connect|error/i : /source unavailable since/;
      await expect(p.getByTestId('widget-problem').first()).toContainText(reason);
      await expectKpi(p, '250');
    }
    await closing;

    // The kiosk has no editor chrome and fills the window at the dashboard's aspect ratio.
    const kiosk = screens[2];
    await expect(kiosk.locator('.editor-bar, .palette, .inspector, .viewer-bar')).toHaveCount(0);
    const stage = (await kiosk.getByTestId('stage').boundingBox())!;
    expect(stage.width).toBeCloseTo(1600, 0);
    expect(stage.width / stage.height).toBeCloseTo(1920 / 1080, 2);
    await kiosk.setViewportSize({ width: 800, height: 800 });
    const narrow = (await kiosk.getByTestId('stage').boundingBox())!;
    expect(narrow.width).toBeCloseTo(800, 0);
    expect(narrow.width / narrow.height).toBeCloseTo(1920 / 1080, 2);

    // A share token cannot save or delete anything.
    const token = shareHref!.split('/').pop()!;
    const save = await request.post('/api/fn/save_dashboard', {
      data: { id: token, revision: 1, dashboard: { schema_version: 1, name: 'x', resolution: { width: 1920, height: 1080 } } },
    });
    expect(save.status()).toBe(404);
    const del = await request.post('/api/fn/delete_dashboard', { data: { id: token } });
    expect(del.status()).toBe(404);
    await screens[3].reload();
    await expectKpi(screens[3], '250');
  } finally {
  }
});

test('an unknown dashboard or share link shows a clear message', async ({ page }) => {
  const res = await page.goto('/view/does-not-exist');
  expect(res?.status()).toBe(404);
  await expect(page.getByTestId('error-message')).toHaveText('dashboard not found');
  const share = await page.goto('/s/not-a-real-token');
  expect(share?.status()).toBe(404);
  await expect(page.getByTestId('error-message')).toHaveText('share link not found');
});
