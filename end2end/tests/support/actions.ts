// What a user does: drag with real mouse events, in screen pixels.
import type { Locator, Page } from '@playwright/test';

export async function center(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element is not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses the mouse at `from`, moves in steps to `to`, releases. */
export async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(to.x, to.y, { steps: 12 });
  await page.mouse.up();
}

/** Waits until the page is hydrated and its live stream is open. */
export async function waitLive(page: Page) {
  await page.getByTestId('connection').filter({ hasText: 'live' }).waitFor();
}

/** Drags the palette item of `kind` onto the middle of the editor's canvas. */
export async function dropFromPalette(page: Page, kind: string) {
  const item = page.locator(`.palette-item[data-kind=${kind}]`);
  await item.scrollIntoViewIfNeeded();
  await drag(page, await center(item), await center(page.getByTestId('canvas')));
}

/** Saves in the editor and waits until the server has stored it. */
export async function saveEditor(page: Page) {
  await page.getByTestId('save').click();
  await page.getByTestId('save-state').filter({ hasText: 'All changes saved' }).waitFor();
}

/** Selects nothing, creates a share link in the dashboard inspector, returns its path. */
export async function createShareLink(page: Page): Promise<string> {
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  const links = page.getByTestId('share-link');
  const before = await links.count();
  await page.getByTestId('create-share').click();
  await links.nth(before).waitFor();
  const href = await links.nth(before).getAttribute('href');
  if (!href) throw new Error('the share link has no href');
  return href;
}
