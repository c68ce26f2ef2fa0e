// Before the tests: a new user's first visit. The browser opens the site, is sent to
// the one-time setup page, makes the first administrator there, and the session it
// gets is kept for every test (`storageState`).
import { chromium, type FullConfig } from '@playwright/test';

export const ADMIN = { email: 'admin@e2e.example', password: 'correct horse battery staple' };
export const STATE = `${__dirname}/.auth/admin.json`;

export default async function globalSetup(config: FullConfig) {
  const { baseURL, launchOptions } = config.projects[0].use;
  const browser = await chromium.launch(launchOptions);
  const page = await browser.newPage({ baseURL });
  await page.goto('/');
  if (!page.url().endsWith('/setup')) {
    throw new Error(`the first visit should lead to /setup, not ${page.url()}`);
  }
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Name').fill('Admin');
  // A common password is refused with the reason.
  await page.getByLabel('Password (at least').fill('password1234');
  await page.getByLabel('Password again').fill('password1234');
  await page.getByRole('button', { name: 'Create the administrator' }).click();
  const refusal = await page.getByRole('alert').textContent();
  if (!refusal?.includes('common')) throw new Error(`a common password was not refused: ${refusal}`);
  await page.getByLabel('Password (at least').fill(ADMIN.password);
  await page.getByLabel('Password again').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create the administrator' }).click();
  await page.waitForURL((url) => url.pathname === '/');
  await page.getByTestId('account').waitFor();
  await page.context().storageState({ path: STATE });
  await browser.close();
}
