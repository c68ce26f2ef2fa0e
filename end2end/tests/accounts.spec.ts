// Accounts in the browser: a visitor without a session is sent to sign in and comes
// back where they were going; signing out ends the session; a wrong password says so.
import { test, expect } from '@playwright/test';
import { ADMIN } from '../global-setup';

test.describe('without a session', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('a page sends the visitor to sign in and back', async ({ page }) => {
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
  });

  test('setup is over once an administrator exists', async ({ page }) => {
    await page.goto('/setup');
    await expect(page).toHaveURL(/\/signin$/);
  });
});
