// Editing a dataset from the editor, as an author does: the Connect data form opens
// filled in, Test then Save changes; an open share page shows the new rows without a
// reload; a widget reading a field the dataset no longer has says so; a dataset in use
// cannot be deleted, and says where it is used.
import { expect, test } from '@playwright/test';
import { waitLive } from './support/actions';
import { callFn } from './support/pushed';
import { startSource } from './support/source';

test('a dataset edited in the editor reaches an open share page; a removed field is flagged', async ({ page, context, request }) => {
  const first = await startSource(11);
  const second = await startSource(22);
  const stamp = Date.now();
  const dataset = await callFn(request, 'create_dataset', {
    form: { name: `sales ${stamp}`, source: { type: 'http', url: first.url, timeout_ms: 2000 }, path: '$', refresh_ms: 1000, pipeline: { steps: [] } },
  });
  const name = `datasets ${stamp}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 400, h: 240 }, kind: 'kpi', props: {}, look: { title: 'Sales' },
        binding: { dataset: dataset.id, slots: { value: ['value'] }, row: { pick: 'last' } } }] },
  });
  const share = await callFn(request, 'create_share_link', { id, options: {} });
  const shared = await context.newPage();
  await shared.goto(`/s/${share.token}`);
  await waitLive(shared);
  await expect(shared.getByTestId('kpi-value')).toHaveText('11');
  await shared.evaluate(() => ((window as unknown as { wbMark: number }).wbMark = 1));

  await page.goto(`/edit/${id}`);
  await waitLive(page);
  await page.locator('[data-testid=canvas] [data-widget=w1]').click();
  await page.getByTestId('edit-dataset').click();
  const dialog = page.getByTestId('connect-data');
  await expect(dialog).toContainText(`Edit dataset “sales ${stamp}”`);
  await expect(dialog.locator('input[name=dataset-name]')).toHaveValue(`sales ${stamp}`);
  await expect(dialog.locator('input[name=http-url]')).toHaveValue(first.url);

  // Point it at the other source: Test, then Save changes.
  await dialog.locator('input[name=http-url]').fill(second.url);
  await dialog.locator('input[name=dataset-name]').fill(`sales moved ${stamp}`);
  await expect(dialog.getByTestId('save-dataset')).toBeDisabled();
  await dialog.getByTestId('test-source').click();
  await expect(dialog.getByTestId('preview-summary')).toContainText('Read 1 rows');
  await dialog.getByTestId('save-dataset').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('notice')).toContainText(`sales moved ${stamp}`);

  // The share page follows, in place.
  await expect(shared.getByTestId('kpi-value')).toHaveText('22');
  expect(await shared.evaluate(() => (window as unknown as { wbMark?: number }).wbMark)).toBe(1);

  // A pipeline that renames the bound field: the widget keeps its binding and says so.
  const updated = await callFn(request, 'dataset_form', { id: dataset.id });
  const form = { ...updated.form, pipeline: { steps: [{ op: 'rename', from: 'value', to: 'amount' }] } };
  const done = await callFn(request, 'update_dataset', { id: dataset.id, form });
  expect(done.removed_fields).toEqual(['value']);
  await page.reload();
  await waitLive(page);
  await expect(page.locator('[data-testid=canvas] [data-widget=w1]').getByTestId('field-missing')).toContainText('“value”');

  // In use, it cannot be deleted; the form says where.
  await page.locator('[data-testid=canvas] [data-widget=w1]').click();
  await page.getByTestId('edit-dataset').click();
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('connect-data').getByTestId('delete-dataset').click();
  await expect(page.getByTestId('connect-problem')).toContainText(name);
  await first.close();
  await second.close();
});

test('the data catalogue lists every dataset with its status and use; edit and delete from it', async ({ page, request }) => {
  const source = await startSource(5);
  const stamp = Date.now();
  const make = (name: string) => callFn(request, 'create_dataset', {
    form: { name, source: { type: 'http', url: source.url, timeout_ms: 2000 }, path: '$', refresh_ms: 1000, pipeline: { steps: [] } },
  });
  const used = await make(`used ${stamp}`);
  const spare = await make(`spare ${stamp}`);
  const name = `catalogue ${stamp}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 400, h: 240 }, kind: 'kpi', props: {}, look: {},
        binding: { dataset: used.id, slots: { value: ['value'] }, row: { pick: 'last' } } }] },
  });

  await page.goto('/');
  await page.getByTestId('data-link').click();
  await page.waitForURL('**/data');
  const row = (d: { id: string }) => page.locator(`[data-testid=catalogue-row][data-dataset="${d.id}"]`);
  await expect(row(used)).toContainText('HTTP API');
  await expect(row(used).getByTestId('catalogue-used')).toHaveText(name);
  await expect(row(spare).getByTestId('catalogue-used')).toHaveText('—');

  // Edit from the catalogue: the same form, filled in.
  await row(spare).getByTestId('catalogue-edit').click();
  await expect(page.getByTestId('connect-data')).toContainText(`Edit dataset “spare ${stamp}”`);
  await page.getByTestId('connect-data').getByRole('button', { name: 'Close' }).click();

  // The one in use is not deleted, and the page says where it is used.
  page.once('dialog', (d) => d.accept());
  await row(used).getByTestId('catalogue-delete').click();
  await expect(page.getByTestId('catalogue-problem')).toContainText(name);
  await expect(row(used)).toHaveCount(1);
  // The spare one goes.
  page.once('dialog', (d) => d.accept());
  await row(spare).getByTestId('catalogue-delete').click();
  await expect(row(spare)).toHaveCount(0);
  await source.close();
});

// The browser bundle leaves regular expressions out (JSONPath's match() and search()):
// a dataset whose path uses them still opens in the form, and Test runs it on the
// server.
test('a dataset whose JSONPath uses match() opens in the form and is previewed by the server', async ({ page, request }) => {
  const source = await startSource([{ name: 'north', n: 1 }, { name: 'south', n: 2 }, { name: 'nowhere', n: 3 }]);
  const stamp = Date.now();
  const path = "$.value[?match(@.name, 'no.*')]";
  const dataset = await callFn(request, 'create_dataset', {
    form: { name: `regex ${stamp}`, source: { type: 'http', url: source.url, timeout_ms: 2000 }, path, refresh_ms: 1000, pipeline: { steps: [] } },
  });
  await page.goto('/data');
  const row = page.locator(`[data-testid=catalogue-row][data-dataset="${dataset.id}"]`);
  await row.getByTestId('catalogue-edit').click();
  const form = page.getByTestId('connect-data');
  await expect(form).toContainText(`Edit dataset “regex ${stamp}”`);
  await expect(form.locator('input[name=http-path]')).toHaveValue(path);
  await form.getByTestId('test-source').click();
  await expect(form.getByTestId('preview-summary')).toContainText('Read 2 rows');
  await expect(form.getByTestId('connect-problem')).toHaveCount(0);
  await source.close();
});
