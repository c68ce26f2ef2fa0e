// Canvas editing as an author does it, with the real mouse and keyboard: eight resize
// handles, snapping with guides (Alt moves freely), multi-select by Shift-click and
// marquee, moving a selection together, align and distribute, stacking, lock,
// duplicate, copy and paste between tabs, zoom, the shortcuts panel and keyboard moves.
// Every layout is checked again after a save and a reload.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { center, saveEditor, waitLive } from './support/actions';
import { boxOf, type Geometry } from './support/checks';
import { callFn } from './support/pushed';

/** A dashboard holding KPI widgets `w1…` at `rects`; returns its id. */
async function seed(request: APIRequestContext, name: string, rects: Geometry[]): Promise<string> {
  const id: string = await callFn(request, 'create_dashboard', { name });
  const widgets = rects.map((rect, i) => ({ id: `w${i + 1}`, rect, kind: 'kpi', props: {}, look: { title: `K${i + 1}` } }));
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 }, widgets },
  });
  return id;
}

async function open(page: Page, id: string) {
  await page.goto(`/edit/${id}`);
  await waitLive(page);
}

/** Design pixels per screen pixel, and the screen point of a design point. */
async function stage(page: Page) {
  const box = (await page.getByTestId('canvas').boundingBox())!;
  const scale = 1920 / box.width;
  return { scale, at: (x: number, y: number) => ({ x: box.x + x / scale, y: box.y + y / scale }) };
}

const widget = (page: Page, id: string) => page.locator(`[data-testid=canvas] [data-widget=${id}]`);

async function press(page: Page, at: { x: number; y: number }) {
  await page.mouse.move(at.x, at.y);
  await page.mouse.down();
}

test('eight handles resize, edges snap with guides, Alt moves freely, and it all survives a reload', async ({ page, request }) => {
  const id = await seed(request, `handles ${Date.now()}`, [
    { x: 400, y: 300, w: 400, h: 200 },
    { x: 1000, y: 700, w: 400, h: 200 },
  ]);
  await open(page, id);
  await widget(page, 'w1').click();
  const { scale } = await stage(page);
  const handle = (name: string) => page.getByTestId(`handle-${name}`);
  // Each handle moves its own edges and no other: 30 screen pixels right and down.
  const moves: Record<string, (a: Geometry, b: Geometry) => void> = {
    e: (a, b) => { expect(b.x).toBe(a.x); expect(b.w).toBeGreaterThan(a.w); expect(b.h).toBe(a.h); },
    s: (a, b) => { expect(b.y).toBe(a.y); expect(b.h).toBeGreaterThan(a.h); expect(b.w).toBe(a.w); },
    se: (a, b) => { expect([b.x, b.y]).toEqual([a.x, a.y]); expect(b.w).toBeGreaterThan(a.w); expect(b.h).toBeGreaterThan(a.h); },
    w: (a, b) => { expect(b.x + b.w).toBe(a.x + a.w); expect(b.x).toBeGreaterThan(a.x); expect(b.h).toBe(a.h); },
    n: (a, b) => { expect(b.y + b.h).toBe(a.y + a.h); expect(b.y).toBeGreaterThan(a.y); expect(b.w).toBe(a.w); },
    nw: (a, b) => { expect([b.x + b.w, b.y + b.h]).toEqual([a.x + a.w, a.y + a.h]); expect(b.x).toBeGreaterThan(a.x); },
    ne: (a, b) => { expect([b.x, b.y + b.h]).toEqual([a.x, a.y + a.h]); expect(b.w).toBeGreaterThan(a.w); expect(b.y).toBeGreaterThan(a.y); },
    sw: (a, b) => { expect([b.x + b.w, b.y]).toEqual([a.x + a.w, a.y]); expect(b.h).toBeGreaterThan(a.h); expect(b.x).toBeGreaterThan(a.x); },
  };
  for (const [name, check] of Object.entries(moves)) {
    const before = await boxOf(page, 'w1');
    const from = await center(handle(name));
    await press(page, from);
    await page.mouse.move(from.x + 30, from.y + 30, { steps: 6 });
    await page.mouse.up();
    check(before, await boxOf(page, 'w1'));
  }

  // Drag w1 so its left edge comes 4 design pixels short of w2's: it snaps onto it, and
  // a guide shows while the button is down.
  const start = await boxOf(page, 'w1');
  const body = await center(widget(page, 'w1'));
  await press(page, body);
  await page.mouse.move(body.x + (996 - start.x) / scale, body.y, { steps: 8 });
  await expect(page.getByTestId('guide').first()).toBeVisible();
  await page.mouse.up();
  await expect(page.getByTestId('guide')).toHaveCount(0);
  // It lines up with w2 (left edge 1000, centre 1200, right edge 1400): by its left
  // edge, or by its centre or right edge if one of those came nearer to a line.
  const lined = await boxOf(page, 'w1');
  const stops = [lined.x, lined.x + Math.floor(lined.w / 2), lined.x + lined.w];
  expect(stops.some((s) => [1000, 1200, 1400].includes(s)), `${JSON.stringify(lined)} lines up with w2`).toBe(true);
  expect(Math.abs(lined.x - 996)).toBeLessThanOrEqual(Math.ceil(6 * scale) + 1);

  // With Alt held nothing snaps: the box moves by exactly what the pointer moved.
  const snapped = await boxOf(page, 'w1');
  const from = await center(widget(page, 'w1'));
  await page.keyboard.down('Alt');
  await press(page, from);
  await page.mouse.move(from.x + 7, from.y, { steps: 3 });
  await page.mouse.up();
  await page.keyboard.up('Alt');
  const free = await boxOf(page, 'w1');
  expect(Math.abs(free.x - (snapped.x + 7 * scale))).toBeLessThanOrEqual(1);

  await saveEditor(page);
  await page.reload();
  await waitLive(page);
  expect(await boxOf(page, 'w1')).toEqual(free);
});

test('a selection made by Shift-click or marquee moves, aligns, distributes, stacks, locks and duplicates together', async ({ page, request }) => {
  const id = await seed(request, `selection ${Date.now()}`, [
    { x: 100, y: 100, w: 200, h: 100 },
    { x: 500, y: 300, w: 200, h: 100 },
    { x: 1200, y: 600, w: 300, h: 100 },
  ]);
  await open(page, id);
  const inspector = page.getByTestId('inspector');

  // Shift-click builds a selection; align its left edges.
  await widget(page, 'w1').click();
  await widget(page, 'w2').click({ modifiers: ['Shift'] });
  await expect(inspector.getByRole('heading')).toHaveText('2 widgets selected');
  await page.getByTestId('align-left').click();
  expect((await boxOf(page, 'w2')).x).toBe(100);
  // One undo puts it back.
  await page.keyboard.press('Control+z');
  expect((await boxOf(page, 'w2')).x).toBe(500);

  // A marquee over the empty canvas selects what it touches.
  await page.keyboard.press('Escape');
  const { at } = await stage(page);
  await press(page, at(20, 20));
  await page.mouse.move(at(1300, 650).x, at(1300, 650).y, { steps: 8 });
  await expect(page.getByTestId('marquee')).toBeVisible();
  await page.mouse.up();
  await expect(inspector.getByRole('heading')).toHaveText('3 widgets selected');

  // Distribute: equal gaps between neighbours, the outer two stay.
  await page.getByTestId('distribute-x').click();
  const [a, b, c] = [await boxOf(page, 'w1'), await boxOf(page, 'w2'), await boxOf(page, 'w3')];
  expect(a.x).toBe(100);
  expect(c.x).toBe(1200);
  expect(Math.abs((b.x - (a.x + a.w)) - (c.x - (b.x + b.w)))).toBeLessThanOrEqual(1);

  // The whole selection moves together by dragging one of it.
  const before = [a, b, c];
  const body = await center(widget(page, 'w2'));
  await press(page, body);
  await page.mouse.move(body.x + 60, body.y + 40, { steps: 8 });
  await page.mouse.up();
  const after = [await boxOf(page, 'w1'), await boxOf(page, 'w2'), await boxOf(page, 'w3')];
  const dx = after[0].x - before[0].x;
  const dy = after[0].y - before[0].y;
  expect(dx).toBeGreaterThan(0);
  expect(dy).toBeGreaterThan(0);
  after.forEach((r, i) => expect([r.x - before[i].x, r.y - before[i].y]).toEqual([dx, dy]));

  // Stacking: w1 to the front, then one step back with Ctrl+[.
  await widget(page, 'w1').click();
  const order = async () => page.locator('[data-testid=canvas] .widget').evaluateAll((els) => els.map((e) => e.getAttribute('data-widget')));
  await page.getByTestId('to-front').click();
  expect(await order()).toEqual(['w2', 'w3', 'w1']);
  await page.keyboard.press('Control+BracketLeft');
  expect(await order()).toEqual(['w2', 'w1', 'w3']);

  // Lock: a locked widget does not move and is not deleted.
  await page.getByTestId('lock').click();
  await expect(widget(page, 'w1')).toHaveClass(/locked/);
  const locked = await boxOf(page, 'w1');
  const lockedAt = await center(widget(page, 'w1'));
  await press(page, lockedAt);
  await page.mouse.move(lockedAt.x + 80, lockedAt.y + 80, { steps: 5 });
  await page.mouse.up();
  expect(await boxOf(page, 'w1')).toEqual(locked);
  await page.keyboard.press('Delete');
  await expect(widget(page, 'w1')).toHaveCount(1);
  await expect(page.getByTestId('notice')).toContainText('locked');
  await page.getByTestId('lock').click();
  await expect(widget(page, 'w1')).not.toHaveClass(/locked/);

  // Duplicate: a copy beside it, selected.
  await page.keyboard.press('Control+d');
  await expect(page.locator('[data-testid=canvas] .widget')).toHaveCount(4);
  const copy = await boxOf(page, 'w4');
  expect([copy.x, copy.y]).toEqual([locked.x + 20, locked.y + 20]);
  await expect(widget(page, 'w4')).toContainText('K1');

  await saveEditor(page);
  const saved = [await boxOf(page, 'w1'), await boxOf(page, 'w2'), await boxOf(page, 'w3'), await boxOf(page, 'w4')];
  await page.reload();
  await waitLive(page);
  expect(await order()).toEqual(['w2', 'w1', 'w3', 'w4']);
  for (const [i, r] of saved.entries()) expect(await boxOf(page, `w${i + 1}`)).toEqual(r);
});

test('widgets copied in one tab paste into another dashboard in another tab; cut removes them', async ({ page, context, request }) => {
  const from = await seed(request, `copy from ${Date.now()}`, [{ x: 100, y: 100, w: 300, h: 200 }, { x: 600, y: 100, w: 300, h: 200 }]);
  const to = await seed(request, `paste into ${Date.now()}`, [{ x: 1000, y: 600, w: 300, h: 200 }]);
  await open(page, from);
  await widget(page, 'w1').click();
  await widget(page, 'w2').click({ modifiers: ['Shift'] });
  await page.keyboard.press('Control+c');

  const other = await context.newPage();
  await open(other, to);
  await other.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await other.keyboard.press('Control+v');
  await expect(other.locator('[data-testid=canvas] .widget')).toHaveCount(3);
  await expect(widget(other, 'w2')).toContainText('K1');
  await expect(widget(other, 'w3')).toContainText('K2');
  expect(await boxOf(other, 'w2')).toEqual({ x: 100, y: 100, w: 300, h: 200 });
  await expect(other.getByTestId('inspector').getByRole('heading')).toHaveText('2 widgets selected');

  // Cut in the first tab: the widgets leave; pasting puts them back in their place.
  await page.keyboard.press('Control+x');
  await expect(page.locator('[data-testid=canvas] .widget')).toHaveCount(0);
  await page.keyboard.press('Control+v');
  await expect(page.locator('[data-testid=canvas] .widget')).toHaveCount(2);
  await saveEditor(other);
  await other.reload();
  await waitLive(other);
  await expect(other.locator('[data-testid=canvas] .widget')).toHaveCount(3);
});

test('zoom shows the canvas at its design size or fitted, and a drag at 100 % moves by screen pixels', async ({ page, request }) => {
  const id = await seed(request, `zoom ${Date.now()}`, [{ x: 100, y: 100, w: 300, h: 200 }]);
  await open(page, id);
  const canvas = page.getByTestId('canvas');
  const fitted = (await canvas.boundingBox())!.width;
  await page.getByTestId('zoom-100').click();
  await expect(page.getByTestId('zoom-level')).toHaveText('100 %');
  expect(Math.round((await canvas.boundingBox())!.width)).toBe(1920);
  await widget(page, 'w1').scrollIntoViewIfNeeded();
  const body = await center(widget(page, 'w1'));
  await page.keyboard.down('Alt');
  await press(page, body);
  await page.mouse.move(body.x + 33, body.y + 17, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Alt');
  expect(await boxOf(page, 'w1')).toEqual({ x: 133, y: 117, w: 300, h: 200 });
  await page.getByTestId('zoom-out').click();
  await expect(page.getByTestId('zoom-level')).toHaveText('75 %');
  expect(Math.round((await canvas.boundingBox())!.width)).toBe(1440);
  await page.keyboard.press('Shift+Digit1');
  await expect(page.getByTestId('zoom-level')).toHaveText('Fit');
  expect(Math.round((await canvas.boundingBox())!.width)).toBe(Math.round(fitted));
});

test('the shortcuts panel lists every action, and widgets are reached and moved by keyboard', async ({ page, request }) => {
  const id = await seed(request, `keyboard ${Date.now()}`, [{ x: 100, y: 100, w: 300, h: 200 }, { x: 600, y: 100, w: 300, h: 200 }]);
  await open(page, id);
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('?');
  const help = page.getByTestId('help-panel');
  await expect(help).toBeVisible();
  for (const keys of ['Ctrl+Z', 'Ctrl+D', 'Ctrl+C, Ctrl+X, Ctrl+V', 'Ctrl+Shift+L', 'Alt while dragging']) {
    await expect(help.getByText(keys, { exact: true })).toBeVisible();
  }
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);

  // Tab reaches a widget, which is then selected; arrows move it; the canvas says so.
  await widget(page, 'w1').focus();
  await page.keyboard.press('Tab');
  await expect(widget(page, 'w2')).toBeFocused();
  await expect(widget(page, 'w2')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Alt+ArrowRight');
  expect(await boxOf(page, 'w2')).toEqual({ x: 601, y: 110, w: 300, h: 200 });
  // The inspector's controls have names a screen reader reads.
  await expect(page.getByLabel('Title', { exact: true })).toHaveValue('K2');
  await expect(page.getByRole('button', { name: 'Align left edges' })).toBeVisible();
});
