// The security headers as a browser meets them: every page hydrates and goes live under
// its Content-Security-Policy with no violation reported, and the home and share pages
// carry their headers (a share page sends no referrer).
import { expect, test, type APIResponse, type Page } from '@playwright/test';
import { center, drag, waitLive } from './support/actions';

/** Records every CSP violation the page reports, as an event or on the console. */
function watchViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content[- ]Security[- ]Policy|csp-violation/i.test(msg.text())) violations.push(msg.text());
  });
  // Injected by the browser's debugging protocol, so the policy does not block it.
  void page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`csp-violation ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return violations;
}

/** The page's nonce, after checking the policy around it. */
function checkPageHeaders(res: APIResponse, referrerPolicy: string): string {
  const headers = res.headers();
  const csp = headers['content-security-policy'] ?? '';
  const nonce = /'nonce-([A-Za-z0-9_-]{22,})'/.exec(csp)?.[1];
  expect(nonce, `a nonce in ${csp}`).toBeTruthy();
  for (const directive of [
    `script-src 'self' 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "connect-src 'self'",
  ]) {
    expect(csp).toContain(directive);
  }
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe(referrerPolicy);
  return nonce!;
}

test('pages hydrate under their CSP with no violation, and carry their headers', async ({ page, context, request }) => {
  const violations = watchViolations(page);

  const home = await request.get('/');
  const nonce = checkPageHeaders(home, 'strict-origin-when-cross-origin');
  expect(await home.text()).toContain(`nonce="${nonce}"`);

  // Hydration under the policy: creating a dashboard is a click handled by the wasm.
  await page.goto('/');
  await page.getByPlaceholder('Name').fill('Under CSP');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(/\/edit\/[0-9a-f]+$/);
  await waitLive(page);
  // The editor is interactive: a palette item dropped on the canvas becomes a widget.
  const canvas = page.getByTestId('canvas');
  await drag(page, await center(page.locator('.palette-item[data-kind=kpi]')), await center(canvas));
  await expect(canvas.locator('.widget')).toHaveCount(1);

  // A share page: no referrer, the same policy, and it hydrates and goes live too.
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('create-share').click();
  const shareHref = await page.getByTestId('share-link').first().getAttribute('href');
  expect(shareHref).toMatch(/^\/s\/[A-Za-z0-9_-]{43}$/);
  checkPageHeaders(await request.get(shareHref!), 'no-referrer');
  const share = await context.newPage();
  const shareViolations = watchViolations(share);
  await share.goto(shareHref!);
  await waitLive(share);

  expect(violations, 'CSP violations on the home page and editor').toEqual([]);
  expect(shareViolations, 'CSP violations on the share page').toEqual([]);
});
