// A JSON source the test controls: a local HTTP server answering {"value": …}.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSource {
  url: string;
  set(value: unknown): void;
  close(): Promise<void>;
}

export async function startSource(initial: unknown): Promise<TestSource> {
  let current = initial;
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ value: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    set: (value) => { current = value; },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
