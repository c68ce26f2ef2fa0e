// Autosave and conflicts, with two real editor tabs on one dashboard: edits save by
// themselves; a save over someone else's newer one overwrites nothing and shows what
// each side changed; each of the three choices (overwrite, load theirs, keep mine as a
// copy) does what it says.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { waitLive } from './support/actions';
import { callFn } from './support/pushed';

async function stored(request: APIRequestContext, id: string) {
  return (await callFn(request, 'load_screen', { id })).dashboard;
}

const widget = (page: Page, id: string) => page.locator(`[data-testid=canvas] [data-widget=${id}]`);
const title = (page: Page) => page.getByLabel('Title', { exact: true });

test('edits save by themselves, and a conflicting save offers overwrite, load theirs and keep a copy', async ({ page, context, request }) => {
  const name = `autosave ${Date.now()}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 300, h: 200 }, kind: 'kpi', props: {}, look: { title: 'K1' } }] },
  });
  await page.goto(`/edit/${id}`);
  await waitLive(page);

  // A nudge reaches the server without pressing Save.
  await widget(page, 'w1').click();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByTestId('save-state')).toHaveText('Unsaved changes');
  await expect.poll(async () => (await stored(request, id)).widgets[0].rect.x).toBe(110);
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');

  // A second tab renames the widget; it saves too.
  const other = await context.newPage();
  await other.goto(`/edit/${id}`);
  await waitLive(other);
  await widget(other, 'w1').click();
  await title(other).fill('Theirs');
  await expect.poll(async () => (await stored(request, id)).widgets[0].look.title).toBe('Theirs');

  // The first tab, behind, moves the widget: its save is refused and it says why.
  await widget(page, 'w1').focus();
  await page.keyboard.press('ArrowDown');
  const conflict = page.getByTestId('conflict');
  await expect(conflict).toBeVisible();
  await expect(page.getByTestId('their-changes')).toContainText('changed KPI “Theirs”');
  await expect(page.getByTestId('our-changes')).toContainText('moved or resized KPI “K1”');
  expect((await stored(request, id)).widgets[0].look.title).toBe('Theirs');

  // Overwrite: the first tab's version is stored, whole.
  await page.getByTestId('conflict-overwrite').click();
  await expect(conflict).toHaveCount(0);
  await expect.poll(async () => (await stored(request, id)).widgets[0].rect.y).toBe(110);
  expect((await stored(request, id)).widgets[0].look.title).toBe('K1');

  // The second tab edits again and meets the conflict: load theirs.
  await title(other).fill('Theirs again');
  await expect(other.getByTestId('conflict')).toBeVisible();
  await other.getByTestId('conflict-theirs').click();
  await expect(other.getByTestId('conflict')).toHaveCount(0);
  await expect(widget(other, 'w1')).toContainText('K1');
  await expect(widget(other, 'w1')).toHaveAttribute('aria-label', /y 110/);
  await expect(other.getByTestId('save-state')).toHaveText('All changes saved');

  // The second tab saves a change; the first, behind again, keeps its own as a copy.
  await widget(other, 'w1').focus();
  await other.keyboard.press('ArrowLeft');
  await expect.poll(async () => (await stored(request, id)).widgets[0].rect.x).toBe(100);
  await widget(page, 'w1').focus();
  await page.keyboard.press('ArrowDown');
  await expect(conflict).toBeVisible();
  await page.getByTestId('conflict-copy').click();
  await page.waitForURL((url) => url.pathname.startsWith('/edit/') && !url.pathname.endsWith(id));
  await waitLive(page);
  await expect(page.locator('input.dashboard-name')).toHaveValue(`${name} (copy)`);
  await expect(widget(page, 'w1')).toHaveAttribute('aria-label', /x 110, y 120/);
  // The original keeps the second tab's version.
  const original = await stored(request, id);
  expect([original.widgets[0].rect.x, original.widgets[0].rect.y]).toEqual([100, 110]);
});
