import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFreePort, isPortOpen, waitFor, waitForEvent, waitForHttp } from '../src/index.js';

describe('waitFor', () => {
  it('resolves with the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { interval: 1 });
    expect(value).toEqual({ calls: 3 });
  });

  it('treats a throw as not yet, and times out naming the condition and the last error', async () => {
    const started = Date.now();
    const error = await waitFor(
      () => {
        throw new Error('still down');
      },
      { timeout: 150, interval: 10, message: 'the thing' },
    ).catch((e: unknown) => e as Error);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/timed out after 150 ms waiting for the thing: still down/);
  });
});

describe('waitForEvent', () => {
  it('resolves with the payload that passes the filter and removes its listener', async () => {
    const emitter = new EventEmitter();
    const waiting = waitForEvent<number>(emitter, 'n', { filter: (n) => n > 1 });
    emitter.emit('n', 1);
    emitter.emit('n', 2);
    expect(await waiting).toBe(2);
    expect(emitter.listenerCount('n')).toBe(0);
  });

  it('times out and removes its listener', async () => {
    const emitter = new EventEmitter();
    await expect(waitForEvent(emitter, 'never', { timeout: 30 })).rejects.toThrow(/"never"/);
    expect(emitter.listenerCount('never')).toBe(0);
  });
});

describe('waitForHttp / getFreePort', () => {
  let server: Server;
  let status = 503;
  let url: string;

  beforeAll(async () => {
    const port = await getFreePort();
    server = createServer((_req, res) => {
      res.statusCode = status;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${port}/readyz`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('getFreePort gives a bindable port', async () => {
    const port = await getFreePort();
    expect(await isPortOpen(port)).toBe(false);
  });

  it('waits for the expected status', async () => {
    setTimeout(() => (status = 200), 100);
    await waitForHttp(url, { timeout: 5_000 });
    await waitForHttp(url, { timeout: 1_000, status: 200 });
  });

  it('times out with the last status', async () => {
    status = 503;
    await expect(waitForHttp(url, { timeout: 200 })).rejects.toThrow(/last answer was 503/);
  });
});
