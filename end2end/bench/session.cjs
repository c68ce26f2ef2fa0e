// Benchmarks sign in as a bench administrator: on a fresh server they make it through
// first-run setup, on one with accounts they sign in (password from
// WALLBOARD_BENCH_PASSWORD, or a fixed one for throwaway bench servers).
const EMAIL = 'bench@wallboard.local';
const PASSWORD = process.env.WALLBOARD_BENCH_PASSWORD ?? 'plum tangerine kiwi 2026';

/** The `wb_session=…` pair of a new session at `base`. */
async function benchSession(base) {
  const form = new URLSearchParams({ email: EMAIL, name: 'Bench', password: PASSWORD, confirm: PASSWORD });
  for (const path of ['/setup', '/signin']) {
    const r = await fetch(`${base}${path}`, { method: 'POST', body: form, redirect: 'manual' });
    const set = (r.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('wb_session=') && !c.startsWith('wb_session=;'));
    if (set) return set.split(';')[0];
  }
  throw new Error('could not set up or sign in as the bench administrator (WALLBOARD_BENCH_PASSWORD?)');
}

/** A page of a new browser context that carries the session. */
async function signedPage(browser, base, cookie, options) {
  const context = await browser.newContext(options);
  const [name, value] = cookie.split('=');
  await context.addCookies([{ name, value, url: base }]);
  return context.newPage();
}

module.exports = { benchSession, signedPage };
