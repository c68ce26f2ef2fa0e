// Drafts and publishing, with a real editor and real screens: screens of a dashboard
// never published follow its draft; once published they show the published version
// while the editor changes the draft; Publish switches an open kiosk and an open share
// page to the new layout without reloading them; every publish is a version that can
// be previewed and restored as the draft.
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { waitLive } from './support/actions';
import { callFn } from './support/pushed';

const widget = (page: Page, id: string) => page.locator(`[data-widget=${id}]`);
const title = (page: Page) => page.getByLabel('Title', { exact: true });

async function draftTitle(request: APIRequestContext, id: string) {
  const data = await callFn(request, 'load_editor', { id });
  return data.stored.dashboard.widgets[0].look.title;
}

/** Opens `path` and marks the page, so a reload would show (the mark would be gone). */
async function openMarked(page: Page, path: string) {
  await page.goto(path);
  await waitLive(page);
  await page.evaluate(() => ((window as unknown as { wbMark: number }).wbMark = 1));
}

const stillTheSamePage = (page: Page) =>
  page.evaluate(() => (window as unknown as { wbMark?: number }).wbMark);

test('publish switches open screens in place; versions can be previewed and restored', async ({ page, context, request }) => {
  const name = `publish ${Date.now()}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  await callFn(request, 'save_dashboard', {
    id, revision: 1,
    dashboard: { schema_version: 2, name, resolution: { width: 1920, height: 1080 },
      widgets: [{ id: 'w1', rect: { x: 100, y: 100, w: 400, h: 200 }, kind: 'text',
        props: { markdown: 'hello' }, look: { title: 'Draft one' } }] },
  });
  const share = await callFn(request, 'create_share_link', { id, options: {} });

  await page.goto(`/edit/${id}`);
  await waitLive(page);
  await expect(page.getByTestId('publish-state')).toHaveText('Not published: screens show the draft');

  const kiosk = await context.newPage();
  await openMarked(kiosk, `/kiosk/${id}`);
  const shared = await context.newPage();
  await openMarked(shared, `/s/${share.token}`);
  await expect(widget(kiosk, 'w1')).toContainText('Draft one');

  // Never published: the screens follow the draft as it saves.
  await widget(page, 'w1').click();
  await title(page).fill('Draft two');
  await expect(widget(kiosk, 'w1')).toContainText('Draft two');
  await expect(widget(shared, 'w1')).toContainText('Draft two');

  // Publish: version 1.
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('publish-state')).toHaveText('Published: version 1');

  // The draft moves on; the screens keep version 1.
  await title(page).fill('Draft three');
  await expect.poll(() => draftTitle(request, id)).toBe('Draft three');
  await expect(page.getByTestId('publish-state')).toHaveText('1 change not published (live: version 1)');
  await kiosk.waitForTimeout(1500);
  await expect(widget(kiosk, 'w1')).toContainText('Draft two');
  await expect(widget(shared, 'w1')).toContainText('Draft two');

  // Publish again: both screens switch in place, without a reload.
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('publish-state')).toHaveText('Published: version 2');
  await expect(widget(kiosk, 'w1')).toContainText('Draft three');
  await expect(widget(shared, 'w1')).toContainText('Draft three');
  expect(await stillTheSamePage(kiosk)).toBe(1);
  expect(await stillTheSamePage(shared)).toBe(1);
  await waitLive(kiosk);

  // Publishing an unchanged draft makes no new version.
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('notice')).toContainText('Published version 2');

  // The history: two versions, newest first, version 2 live.
  await page.getByTestId('history').click();
  const versions = page.getByTestId('version');
  await expect(versions).toHaveCount(2);
  await expect(versions.nth(0)).toHaveAttribute('data-version', '2');
  await expect(versions.nth(0)).toHaveClass(/is-live/);

  // A preview of version 1 shows it with current data.
  const preview = await context.newPage();
  await preview.goto(await versions.nth(1).getByTestId('version-preview').getAttribute('href') ?? '');
  await expect(preview.getByTestId('preview-note')).toContainText('version 1');
  await expect(widget(preview, 'w1')).toContainText('Draft two');

  // Restore version 1 as the draft: one undoable step, saved by itself; screens keep 2.
  await versions.nth(1).getByTestId('version-restore').click();
  await expect(widget(page, 'w1')).toContainText('Draft two');
  await expect.poll(() => draftTitle(request, id)).toBe('Draft two');
  await expect(page.getByTestId('publish-state')).toHaveText('1 change not published (live: version 2)');
  await expect(widget(kiosk, 'w1')).toContainText('Draft three');

  // Published, the restored draft is version 3 and reaches the kiosk.
  await page.getByTestId('publish').click();
  await expect(page.getByTestId('publish-state')).toHaveText('Published: version 3');
  await expect(widget(kiosk, 'w1')).toContainText('Draft two');
  expect(await stillTheSamePage(kiosk)).toBe(1);
  const listed = await callFn(request, 'list_versions', { id });
  expect(listed.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
});

test('a publish of a stale draft is refused with a conflict and changes nothing', async ({ request }) => {
  const name = `stale publish ${Date.now()}`;
  const id: string = await callFn(request, 'create_dashboard', { name });
  const refused = await request.post('/api/fn/publish_dashboard', { data: { id, revision: 7 } });
  expect(refused.status()).toBe(409);
  expect(await refused.text()).toContain('nothing was published');
  expect(await callFn(request, 'list_versions', { id })).toEqual([]);
  const bad = await request.post('/api/fn/load_version', { data: { id, version: 1 } });
  expect(bad.status()).toBe(404);
});
