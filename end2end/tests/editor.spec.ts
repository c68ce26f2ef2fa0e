// Editing as an author does it, with the real mouse and keyboard: every edit can be
// undone and redone (Ctrl+Z, Ctrl+Shift+Z / Ctrl+Y, and the toolbar), a drag is one
// step, and the history survives a save.
import { expect, test } from '@playwright/test';
import { center, drag, waitLive } from './support/actions';
import { geometry } from './support/checks';

test('edits undo and redo by keyboard and toolbar, and the history survives a save', async ({ page, request }) => {
  const id = await (await request.post('/api/fn/create_dashboard', { data: { name: 'Undo me' } })).json();
  await page.goto(`/edit/${id}`);
  await waitLive(page);
  const canvas = page.getByTestId('canvas');
  const widgets = canvas.locator('.widget');
  // Where the widget is, read from the inspector after selecting it (a click moves nothing).
  const where = async () => {
    await widgets.first().click();
    return geometry(page);
  };
  await expect(page.getByTestId('undo')).toBeDisabled();

  await drag(page, await center(page.locator('.palette-item[data-kind=kpi]')), await center(canvas));
  await expect(widgets).toHaveCount(1);
  const placed = await geometry(page);
  const body = await center(widgets.first());
  await drag(page, body, { x: body.x + 200, y: body.y + 100 });
  const moved = await geometry(page);
  expect(moved.x).toBeGreaterThan(placed.x);
  await page.keyboard.press('ArrowDown');
  const nudged = await geometry(page);
  expect(nudged.y).toBe(moved.y + 10);

  // Save in the middle: the history goes on.
  await page.getByTestId('save').click();
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');

  // Undo walks back one edit at a time: the nudge, the whole drag, the placement.
  await page.keyboard.press('Control+z');
  expect(await where()).toEqual(moved);
  await expect(page.getByTestId('save-state')).toHaveText('Unsaved changes');
  await page.getByTestId('undo').click();
  expect(await where()).toEqual(placed);
  await page.keyboard.press('Control+z');
  await expect(widgets).toHaveCount(0);
  await expect(page.getByTestId('undo')).toBeDisabled();

  // Redo walks forward again.
  await page.keyboard.press('Control+Shift+z');
  await expect(widgets).toHaveCount(1);
  expect(await where()).toEqual(placed);
  await page.getByTestId('redo').click();
  expect(await where()).toEqual(moved);
  await page.keyboard.press('Control+y');
  expect(await where()).toEqual(nudged);
  await expect(page.getByTestId('redo')).toBeDisabled();
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');

  // A title typed in the inspector is one step too.
  await widgets.first().click();
  const title = page.locator('input[name=title]');
  await title.fill('Revenue');
  await expect(widgets.first()).toContainText('Revenue');
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Control+z');
  await expect(widgets.first()).not.toContainText('Revenue');
});
