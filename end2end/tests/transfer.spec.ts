// Moving whole dashboards, as an author does it: export from the editor (a real
// download), import the file on the home page with a dataset chosen for its reference,
// a bad file refused naming the field, duplicate from the list, and start from a
// template.
import { expect, test } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitLive } from './support/actions';
import { boxOf } from './support/checks';
import { callFn, createPushed } from './support/pushed';

test('an exported dashboard imports with its dataset mapped, whole', async ({ page, request }) => {
  const stamp = Date.now();
  const source = await createPushed(request, `orders ${stamp}`, { value: 'number' }, { kind: 'replace' }, [{ value: 42 }]);
  const other = await createPushed(request, `orders copy ${stamp}`, { value: 'number' }, { kind: 'replace' }, [{ value: 7 }]);
  const name = `export ${stamp}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [
        { id: 'w1', rect: { x: 120, y: 80, w: 400, h: 220 }, kind: 'kpi', props: {}, look: { title: 'Orders' },
          binding: { dataset: source.id, slots: { value: ['value'] }, row: { pick: 'last' } } },
        { id: 'w2', rect: { x: 600, y: 80, w: 300, h: 220 }, kind: 'text', props: { markdown: 'note' }, look: {} },
      ] },
  });

  await page.goto(`/edit/${id}`);
  await waitLive(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  expect(download.suggestedFilename()).toBe(`export-${stamp}.wallboard.json`);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wb-export-')), download.suggestedFilename());
  await download.saveAs(file);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(doc.kind).toBe('wallboard.dashboard');
  expect(doc.datasets).toEqual([{ id: source.id, name: source.name }]);

  // Import it, choosing the other dataset for the reference.
  await page.goto('/');
  await page.getByTestId('import-file').setInputFiles(file);
  await expect(page.getByTestId('import-summary')).toContainText(`${name}”: 2 widgets`);
  const choice = page.getByTestId('import-choice');
  await expect(choice).toHaveValue(source.id);
  await choice.selectOption(other.id);
  await page.getByTestId('import-go').click();
  await page.waitForURL((url) => url.pathname.startsWith('/edit/') && !url.pathname.endsWith(id));
  await waitLive(page);
  await expect(page.locator('input.dashboard-name')).toHaveValue(name);
  expect(await boxOf(page, 'w1')).toEqual({ x: 120, y: 80, w: 400, h: 220 });
  await expect(page.locator('[data-testid=canvas] [data-widget=w1]')).toContainText('7');

  // A bad file: the field is named and nothing is made.
  const before = (await callFn(request, 'list_dashboards', {})).length;
  doc.widgets[1].rect.w = 'wide';
  fs.writeFileSync(file, JSON.stringify(doc));
  await page.goto('/');
  await page.getByTestId('import-file').setInputFiles(file);
  await expect(page.getByTestId('import-problem')).toContainText('widgets[1].rect.w');
  await expect(page.getByTestId('import-go')).toHaveCount(0);
  expect((await callFn(request, 'list_dashboards', {})).length).toBe(before);
});

test('duplicate and templates make new dashboards from the home page', async ({ page, request }) => {
  const name = `original ${Date.now()}`;
  await callFn(request, 'create_dashboard', { name });
  await page.goto('/');
  const row = page.locator('.dashboard-list li', { hasText: name }).first();
  await row.getByTestId('duplicate').click();
  await expect(page.locator('.dashboard-list li', { hasText: `${name} (copy)` })).toHaveCount(1);

  await page.getByTestId('template-support-queue').click();
  await page.waitForURL((url) => url.pathname.startsWith('/edit/'));
  await waitLive(page);
  await expect(page.locator('input.dashboard-name')).toHaveValue('Support queue');
  await expect(page.locator('[data-testid=canvas] [data-widget]')).toHaveCount(6);
});
