// Before the tests: makes the first administrator through the setup page, as a new
// user's first visit does, and keeps the session for every test (`storageState`).
import { request, type FullConfig } from '@playwright/test';

export const ADMIN = { email: 'admin@e2e.example', password: 'correct horse battery staple' };
export const STATE = `${__dirname}/.auth/admin.json`;

export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL!;
  const context = await request.newContext({ baseURL });
  const res = await context.post('/setup', {
    form: { email: ADMIN.email, name: 'Admin', password: ADMIN.password, confirm: ADMIN.password },
    maxRedirects: 0,
  });
  if (res.status() !== 303) {
    throw new Error(`setup answered ${res.status()}: ${await res.text()}`);
  }
  await context.storageState({ path: STATE });
  await context.dispose();
}
