// The author's pages for a screen reader: every control has a name (labels, button
// text or aria-label), every ARIA attribute and role is valid, every dialog is named —
// checked with axe-core on the home page, the editor (nothing selected, a widget
// selected, the Connect data dialog, the history), the data catalogue, settings and the
// Screens page with its playlist editor.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { waitLive } from './support/actions';
import { callFn } from './support/pushed';

const RULES = [
  'label', 'button-name', 'select-name', 'link-name', 'input-button-name',
  'aria-valid-attr', 'aria-valid-attr-value', 'aria-allowed-attr', 'aria-required-attr',
  'aria-roles', 'aria-dialog-name', 'aria-input-field-name', 'aria-toggle-field-name',
  'duplicate-id-aria',
];

async function expectNamed(page: Page, where: string) {
  const results = await new AxeBuilder({ page }).withRules(RULES).analyze();
  const problems = results.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.split('\n').slice(1).join(' ')}`));
  expect(problems, `${where}:\n${problems.join('\n')}`).toEqual([]);
}

test('the home page, the editor, its dialogs, the catalogue and settings name every control', async ({ page, request }) => {
  const name = `a11y ${Date.now()}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [
        { id: 'w1', rect: { x: 100, y: 100, w: 400, h: 240 }, kind: 'kpi', props: {}, look: { title: 'Sales' } },
        { id: 'w2', rect: { x: 600, y: 100, w: 600, h: 300 }, kind: 'line', props: {}, look: { title: 'Trend' } },
        { id: 'w3', rect: { x: 100, y: 500, w: 600, h: 300 }, kind: 'table', props: {}, look: { title: 'Rows' } },
      ] },
  });

  await page.goto('/');
  await expectNamed(page, 'home');

  await page.goto(`/edit/${id}`);
  await waitLive(page);
  await expectNamed(page, 'editor, nothing selected');
  for (const widget of ['w1', 'w2', 'w3']) {
    await page.locator(`[data-testid=canvas] [data-widget=${widget}]`).click();
    await expectNamed(page, `editor, ${widget} selected`);
  }
  await page.keyboard.press('Control+a');
  await expectNamed(page, 'editor, several selected');
  await page.getByTestId('help').click();
  await expectNamed(page, 'editor, shortcuts');
  await page.getByTestId('history').click();
  await expect(page.getByTestId('help-panel')).toHaveCount(0);
  await expect(page.getByTestId('history-panel')).toBeVisible();
  await expectNamed(page, 'editor, history');
  await page.getByTestId('history').click();
  await page.locator('[data-testid=canvas] [data-widget=w1]').click();
  await page.getByTestId('open-connect').click();
  for (const tab of ['http', 'sql', 'sheet', 'push']) {
    await page.getByTestId(`tab-${tab}`).click();
    await expectNamed(page, `Connect data, ${tab}`);
  }

  await page.goto('/data');
  await expectNamed(page, 'data catalogue');
  await page.goto('/settings');
  await expectNamed(page, 'settings');
  await page.goto('/screens');
  await page.getByTestId('add-screen').waitFor();
  await expectNamed(page, 'screens');
  await page.getByTestId('new-playlist').click();
  await page.getByTestId('add-slide').click();
  await expectNamed(page, 'screens, playlist editor');
});
