// A screen whose live stream fails (a restarting server, a balancer answering 503)
// comes back by itself, with backoff, and keeps updating: a TV must never need a hand.
import { expect, test } from '@playwright/test';
import { waitLive } from './support/actions';
import { expectKpi } from './support/checks';
import { startSource } from './support/source';

test('a kiosk whose stream fails reconnects by itself and keeps updating', async ({ page, request }) => {
  const source = await startSource(5);
  try {
    const call = async (fn: string, data: unknown) => {
      const res = await request.post(`/api/fn/${fn}`, { data });
      expect(res.ok(), `${fn}: ${await res.text()}`).toBeTruthy();
      return res.json();
    };
    const dataset = await call('create_http_dataset', {
      form: { name: 'r', url: source.url, path: '$.value', field: 'value', kind: 'number', refresh_ms: 1000, timeout_ms: 1000 },
    });
    const id = await call('create_dashboard', { name: 'Reconnect' });
    await call('save_dashboard', {
      id, revision: 1,
      dashboard: {
        schema_version: 1, name: 'Reconnect', resolution: { width: 1920, height: 1080 },
        widgets: [{ id: 'w1', rect: { x: 0, y: 0, w: 400, h: 240 }, kind: 'kpi',
          props: { title: 'n', unit: '', decimals: 0 }, binding: { dataset: dataset.id, field: 'value' } }],
      },
    });

    // The first two attempts to open the stream get 503, as from a balancer mid-deploy.
    let refusals = 2;
    const attempts: number[] = [];
    await page.route('**/api/v1/live**', (route) => {
      attempts.push(Date.now());
      return refusals-- > 0 ? route.fulfill({ status: 503, body: 'unavailable' }) : route.continue();
    });
    await page.goto(`/kiosk/${id}`);
    await expectKpi(page, '5');
    await waitLive(page);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    // Backoff: the second retry waits longer than the first (1 s and 2 s, ±50 %).
    expect(attempts[1] - attempts[0]).toBeGreaterThanOrEqual(450);
    expect(attempts[2] - attempts[1]).toBeGreaterThanOrEqual(950);

    source.set(6);
    await expectKpi(page, '6');
  } finally {
    await source.close();
  }
});
