// Accounts in the browser: a visitor without a session is sent to sign in and comes
// back where they were going; an invited viewer cannot use the editor; a share link's
// password is asked before its dashboard shows; an expired link shows nothing.
import { test, expect, type Browser } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ADMIN } from '../global-setup';
import { createShareLink, waitLive } from './support/actions';

const anonymous = { storageState: { cookies: [], origins: [] } };

async function freshPage(browser: Browser) {
  const context = await browser.newContext(anonymous);
  return { context, page: await context.newPage() };
}

test('a page sends the visitor to sign in and back', async ({ browser }) => {
  const { context, page } = await freshPage(browser);
  await page.goto('/?from=test');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('email or the password is wrong');

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/\?from=test$/);
  await expect(page.getByTestId('account')).toContainText('owner');

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/signin\?next=/);
  await page.goto('/setup');
  await expect(page).toHaveURL(/\/signin$/);
  await context.close();
});

test('an invited viewer sees dashboards but the editor refuses them', async ({ page, browser, request }) => {
  const id = await (await request.post('/api/fn/create_dashboard', { data: { name: 'For viewers' } })).json();
  await page.goto('/settings');
  await page.getByTestId('invite-role').selectOption('viewer');
  await page.getByTestId('make-invite').click();
  const link = await page.getByTestId('invite-link').textContent();
  expect(link).toMatch(/\/invite\/[A-Za-z0-9_-]{43}$/);

  const { context, page: guest } = await freshPage(browser);
  await guest.goto(link!);
  await expect(guest.getByRole('heading')).toContainText('Join Main');
  await guest.getByLabel('Email').fill('viewer@e2e.example');
  await guest.getByLabel('Name').fill('Vera');
  await guest.getByLabel('Password (at least').fill('plum tangerine kiwi');
  await guest.getByLabel('Password again').fill('plum tangerine kiwi');
  await guest.getByRole('button', { name: 'Create the account and join' }).click();
  await expect(guest).toHaveURL(/\/$/);
  await expect(guest.getByTestId('account')).toContainText('viewer');
  // The list opens the read-only view; there is nothing to create or delete.
  const entry = guest.locator('.dashboard-list li', { hasText: 'For viewers' });
  await expect(entry.locator('a.name')).toHaveAttribute('href', `/view/${id}`);
  await expect(entry.getByRole('button', { name: 'Delete' })).toHaveCount(0);
  await expect(guest.locator('section.create')).toHaveCount(0);
  await guest.goto(`/edit/${id}`);
  await expect(guest.getByRole('alert')).toContainText('viewer of this workspace may not');
  await guest.goto(`/view/${id}`);
  await waitLive(guest);
  await context.close();

  // The owner sees the new member.
  await page.reload();
  await expect(page.getByTestId('members')).toContainText('viewer@e2e.example');
});

test('a password-protected share link asks first', async ({ page, browser, request }) => {
  const id = await (await request.post('/api/fn/create_dashboard', { data: { name: 'Secret wall' } })).json();
  await page.goto(`/edit/${id}`);
  await waitLive(page);
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('share-password').fill('open sesame 42');
  const share = await createShareLink(page);
  await expect(page.getByTestId('share-list')).toContainText('password');

  const { context, page: guest } = await freshPage(browser);
  await guest.goto(share);
  await expect(guest.getByRole('heading')).toContainText('asks for a password');
  await guest.getByLabel('Password').fill('wrong password');
  await guest.getByRole('button', { name: 'Open' }).click();
  await expect(guest.getByRole('alert')).toContainText('not the password');
  await guest.getByLabel('Password').fill('open sesame 42');
  await guest.getByRole('button', { name: 'Open' }).click();
  await expect(guest).toHaveURL(new RegExp(`${share}$`));
  await waitLive(guest);
  await context.close();
});

test('an expired share link shows nothing', async ({ page, browser }) => {
  await page.goto('/');
  await page.getByPlaceholder('Name').fill('Short-lived');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(/\/edit\//);
  await waitLive(page);
  await page.locator('.canvas-area').click({ position: { x: 5, y: 5 } });
  await page.getByTestId('share-expiry').selectOption('1');
  const share = await createShareLink(page);
  await expect(page.getByTestId('share-list')).toContainText('expires');

  const { context, page: guest } = await freshPage(browser);
  expect((await guest.goto(share))!.status()).toBe(200);
  // An hour is long for a test: move the link's end into the past in the database.
  const db = path.join(process.env.E2E_DATA_DIR!, 'wallboard.db');
  execFileSync('python3', [
    '-c',
    'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("UPDATE share_links SET expires_at = 1 WHERE expires_at IS NOT NULL"); c.commit()',
    db,
  ]);
  const gone = await guest.goto(share);
  expect(gone!.status()).toBe(404);
  await expect(guest.getByRole('alert')).toContainText('share link not found');
  await context.close();
});
