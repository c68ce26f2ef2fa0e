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
