// An integrator's data: a widget bound to a pushed dataset from the inspector, a push
// token shown once (with its curl), rows pushed over HTTP showing live, and a revoked
// token refused; a pushed dataset's settings edited from the editor.
import { expect, test } from '@playwright/test';
import { center, drag, waitLive } from './support/actions';
import { expectKpi } from './support/checks';
import { callFn, createPushed } from './support/pushed';

test('a pushed dataset is created, pushed to with a token shown once, and revoked', async ({ page, request }) => {
  await page.goto('/');
  await page.getByPlaceholder('Name').fill('Pushed');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/edit\/[0-9a-f]+$/);
  await waitLive(page);
  const canvas = page.getByTestId('canvas');
  await drag(page, await center(page.locator('.palette-item[data-kind=kpi]')), await center(canvas));
  await canvas.locator('.widget').click();

  // Create the dataset; the widget is bound to it at once.
  await page.getByTestId('open-connect').click();
  await page.getByTestId('tab-push').click();
  await page.locator('input[name=push-field]').fill('orders');
  await page.getByTestId('create-pushed').click();
  await expect(page.getByTestId('connect-data')).toHaveCount(0);
  await expect(page.locator('select[name=dataset] option:checked')).toHaveText('pushed');

  // A new token shows its secret once, inside a ready-to-run curl.
  await page.getByTestId('create-push-token').click();
  const example = await page.getByTestId('push-secret').locator('pre').innerText();
  const [, dataset, secret] = example.match(/datasets\/([^/]+)\/rows[\s\S]*Bearer (wbp_[A-Za-z0-9_-]+)'/)!;
  expect(example).toContain('"orders": 42');

  // Rows pushed with it show on the canvas without a reload, with the dataset's status.
  const push = (value: unknown, token = secret) =>
    request.post(`/api/v1/datasets/${dataset}/rows`, {
      headers: { Authorization: `Bearer ${token}` },
      data: value,
    });
  expect((await push({ orders: 17 })).status()).toBe(200);
  await expectKpi(page, '17');
  expect((await push([{ orders: 18 }, { orders: 19 }])).status()).toBe(200);
  await expectKpi(page, '19');
  await expect(page.getByTestId('dataset-status')).toContainText('Updated');
  // A pushed dataset's rows are previewed like any other's.
  await page.getByTestId('dataset-rows').locator('summary').click();
  await expect(page.getByTestId('dataset-rows').locator('td').last()).toHaveText('19');

  // A bad row is refused naming the row and field, and changes nothing on screen.
  const bad = await push([{ orders: 20 }, { orders: 'many' }]);
  expect(bad.status()).toBe(422);
  expect(await bad.json()).toMatchObject({ row: 2, field: 'orders' });
  await expectKpi(page, '19');

  // Saved and reloaded, the secret is gone from the page; revoking the token stops it.
  await page.getByTestId('save').click();
  await expect(page.getByTestId('save-state')).toHaveText('All changes saved');
  await page.reload();
  await waitLive(page);
  await canvas.locator('.widget').click();
  await expect(page.getByTestId('push-secret')).toHaveCount(0);
  await expect(page.locator('.push-tokens li')).toHaveCount(1);
  await page.locator('.push-tokens li').getByRole('button', { name: 'Revoke' }).click();
  await expect(page.locator('.push-tokens li')).toHaveCount(0);
  expect((await push({ orders: 21 })).status()).toBe(401);
});

test("a pushed dataset's fields and rows to keep change from the editor, and the canvas follows at once", async ({ page, request }) => {
  const stamp = Date.now();
  const rows = [1, 2, 3, 4, 5].map((n) => ({ n }));
  const dataset = await createPushed(request, `sensors ${stamp}`, { n: 'number' }, { kind: 'append', max_rows: 5 }, rows);
  const name = `pushed edit ${stamp}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 400, h: 240 }, kind: 'kpi', props: {}, look: { title: 'Oldest kept' },
        binding: { dataset: dataset.id, slots: { value: ['n'] }, row: { pick: 'first' } } }] },
  });
  await page.goto(`/edit/${id}`);
  await waitLive(page);
  await expectKpi(page, '1');

  // The dialog opens on the dataset's own settings: fields, rows to keep, append fixed.
  await page.locator('[data-testid=canvas] [data-widget=w1]').click();
  await page.getByTestId('edit-dataset').click();
  const dialog = page.getByTestId('connect-data');
  await expect(dialog).toContainText(`Edit dataset “sensors ${stamp}”`);
  await expect(dialog.locator('input[name=push-keep]')).toHaveValue('5');
  await expect(dialog.locator('input[name=push-append]')).toBeDisabled();
  await expect(dialog.locator('input[name=push-field]')).toHaveValue('n');

  // A bad number is refused in place; then keep 2 rows and add a text field.
  await dialog.locator('input[name=push-keep]').fill('0');
  await dialog.getByTestId('save-dataset').click();
  await expect(dialog.getByTestId('connect-problem')).toContainText('keep 1 to');
  await dialog.locator('input[name=push-keep]').fill('2');
  await dialog.getByTestId('add-push-field').click();
  await dialog.locator('input[name=push-field]').nth(1).fill('site');
  await dialog.locator('select[name=push-field-kind]').nth(1).selectOption('text');
  await dialog.getByTestId('save-dataset').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('notice')).toContainText(`sensors ${stamp}`);

  // The three oldest rows went at once; the new field is taken from the next push.
  await expectKpi(page, '4');
  await dataset.push([{ n: 6, site: 'north' }]);
  await expectKpi(page, '5');
  const form = await callFn(request, 'dataset_form', { id: dataset.id });
  expect(form.push.fields).toEqual([{ name: 'n', kind: 'number' }, { name: 'site', kind: 'text' }]);
  expect(form.push.mode).toEqual({ kind: 'append', max_rows: 2 });
});
