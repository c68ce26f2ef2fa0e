// What a user sees: the geometry the inspector reports for the selected widget.
import { expect, type Page } from '@playwright/test';

export interface Geometry { x: number; y: number; w: number; h: number }

export async function geometry(page: Page): Promise<Geometry> {
  const text = await page.getByTestId('geometry').textContent();
  const m = /x (\d+) · y (\d+) · (\d+) × (\d+)/.exec(text ?? '');
  if (!m) throw new Error(`no geometry in "${text}"`);
  return { x: +m[1], y: +m[2], w: +m[3], h: +m[4] };
}

export async function expectKpi(page: Page, text: string) {
  await expect(page.getByTestId('kpi-value').first()).toHaveText(text);
}

/** A widget's box on the canvas, read from its accessible name ("… at x 100, y 40, 400 × 240"). */
export async function boxOf(page: Page, id: string): Promise<Geometry> {
  const label = await page.locator(`[data-testid=canvas] [data-widget=${id}]`).getAttribute('aria-label');
  const m = /at x (\d+), y (\d+), (\d+) × (\d+)/.exec(label ?? '');
  if (!m) throw new Error(`no box in the label "${label}"`);
  return { x: +m[1], y: +m[2], w: +m[3], h: +m[4] };
}
