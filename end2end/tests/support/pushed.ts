// A pushed dataset the test controls: made through the server functions, with a push
// token, and fed rows through the push API as an integrator would.
import { expect, type APIRequestContext } from '@playwright/test';

export type Row = Record<string, unknown>;
export type PushMode = { kind: 'append'; max_rows: number } | { kind: 'replace' };

export interface PushedDataset {
  id: string;
  name: string;
  /** Pushes `rows` with the dataset's token; fails the test unless it is accepted. */
  push(rows: Row[]): Promise<void>;
}

/** Calls a server function (`POST /api/fn/<name>`) and returns its JSON answer. */
export async function callFn(request: APIRequestContext, fn: string, data: unknown) {
  const res = await request.post(`/api/fn/${fn}`, { data });
  expect(res.ok(), `${fn}: ${res.status()} ${await res.text()}`).toBeTruthy();
  return res.json();
}

/** Creates a pushed dataset with `fields`, makes a token and pushes `rows` with it. */
export async function createPushed(
  request: APIRequestContext,
  name: string,
  fields: Record<string, 'number' | 'text'>,
  mode: PushMode,
  rows: Row[],
): Promise<PushedDataset> {
  const form = {
    name,
    fields: Object.entries(fields).map(([field, kind]) => ({ name: field, kind })),
    mode,
  };
  const dataset = await callFn(request, 'create_push_dataset', { form });
  const { secret } = await callFn(request, 'create_push_token', { dataset: dataset.id, label: 'e2e' });
  const push = async (pushed: Row[]) => {
    const res = await request.post(`/api/v1/datasets/${dataset.id}/rows`, {
      headers: { Authorization: `Bearer ${secret}` },
      data: pushed,
    });
    expect(res.status(), `push: ${await res.text()}`).toBe(200);
  };
  await push(rows);
  return { id: dataset.id, name, push };
}
