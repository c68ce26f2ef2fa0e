// An author connects a spreadsheet from the UI alone: uploads a real workbook, tests
// it, shapes it with a pipeline whose every step previews its row count, creates the
// dataset, and sees the bound KPI show the result.
import { expect, test } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { center, drag, waitLive } from './support/actions';
import { expectKpi } from './support/checks';

// A real Excel workbook from the test corpus that `cargo test` fetches from PyPI into
// <target>/tmp/corpus (python-calamine 0.9.1's tests/data, pinned by SHA-256; see
// server/tests/common/corpus.rs). Its first sheet: Item, Type, Quantity for Apple 50,
// Banana 200, Orange 60 and Pear 100.
const corpus = process.env.WALLBOARD_CORPUS
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.resolve(__dirname, '../../target'), 'tmp', 'corpus');
const workbook = path.join(corpus, 'python-calamine-0.9.1', 'table-multiple.xlsx');

test('a workbook is uploaded, shaped step by step and bound to a KPI', async ({ page }) => {
  expect(
    fs.existsSync(workbook),
    `${workbook} is missing: run \`cargo test -p server --test sheets\` first (it fetches the corpus from PyPI), or set WALLBOARD_CORPUS`,
  ).toBe(true);
  await page.goto('/');
  await page.getByPlaceholder('Name').fill('Inventory');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/edit\/[0-9a-f]+$/);
  await waitLive(page);
  const canvas = page.getByTestId('canvas');
  await drag(page, await center(page.locator('.palette-item[data-kind=kpi]')), await center(canvas));
  await canvas.locator('.widget').click();

  await page.getByTestId('open-connect').click();
  const dialog = page.getByTestId('connect-data');
  await dialog.getByTestId('tab-sheet').click();
  await dialog.locator('input[name=sheet-file]').setInputFiles(workbook);
  await expect(dialog.getByTestId('upload-info')).toContainText('table-multiple.xlsx');
  await dialog.getByTestId('test-source').click();
  await expect(dialog.getByTestId('preview-summary')).toContainText('Read 4 rows');
  await expect(dialog.locator('.connect-source .rows-table')).toContainText('Banana');

  // A filter step: its row count shows as soon as it is filled in.
  const add = dialog.locator('select[name=add-step]');
  await add.selectOption('filter');
  const filter = dialog.getByTestId('step').nth(0);
  await expect(filter.getByTestId('step-outcome')).toHaveText('Field: required');
  await filter.locator('input[name=field]').fill('Quantity');
  await filter.locator('select[name=cmp]').selectOption('ge');
  await filter.locator('input[name=value]').fill('60');
  await expect(filter.getByTestId('step-outcome')).toHaveText('3 rows');

  // Reduce to one number for the KPI; the table shows the rows after the last step.
  await add.selectOption('reduce');
  const reduce = dialog.getByTestId('step').nth(1);
  await reduce.locator('input[name=aggregates]').fill('sum(Quantity) as total');
  await expect(reduce.getByTestId('step-outcome')).toHaveText('1 rows');
  await expect(dialog.locator('.pipeline .rows-table td')).toHaveText('360');

  // Switching the filter off is previewed at once: it passes all 4 rows on, and the
  // last step (selected to show its rows) sums them all.
  await filter.locator('input[name=enabled]').uncheck();
  await expect(filter.getByTestId('step-outcome')).toHaveText('off · 4 rows');
  await reduce.locator('header strong').click();
  await expect(dialog.locator('.pipeline .rows-table td')).toHaveText('410');
  await filter.locator('input[name=enabled]').check();

  await dialog.getByTestId('create-dataset').click();
  await expect(dialog).toHaveCount(0);
  await expect(page.locator('select[name=dataset] option:checked')).toHaveText('table-multiple.xlsx');
  await expectKpi(page, '360');

  // The bound dataset's rows are shown under the widget's data settings.
  await page.getByTestId('dataset-rows').locator('summary').click();
  await expect(page.getByTestId('dataset-rows').locator('td')).toHaveText('360');
});
