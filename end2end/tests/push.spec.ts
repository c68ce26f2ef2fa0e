// An integrator's data: a widget bound to a pushed dataset from the inspector, a push
// token shown once (with its curl), rows pushed over HTTP showing live, and a revoked
// token refused.
import { expect, test } from '@playwright/test';
import { center, drag, waitLive } from './support/actions';
import { expectKpi } from './support/checks';

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
