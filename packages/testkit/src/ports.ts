import { connect, createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port by binding port 0 and closing again.
 * There is a small window in which another process can take the port; the
 * fixtures that use it retry with a new port when a start fails on EADDRINUSE.
 */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves true when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ port, host });
    const done = (open: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Resolves true when a listener can bind host:port right now (on every interface by default). */
function canBind(port: number, host = '0.0.0.0'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Below Linux's default ephemeral range (32768–60999), which outgoing connections draw from. */
const BLOCK_RANGE = { from: 20_000, to: 32_000 };

/**
 * A free port whose next `size` ports are free too (the local runner takes PORT and
 * PORT+1…PORT+N). Free at the time of the check only, like getFreePort. The block is drawn
 * below the ephemeral range: a port from there could be taken by any outgoing connection of a
 * parallel test between the check and the listen (a flake seen under load).
 */
export async function getFreePortBlock(size: number, host = '0.0.0.0'): Promise<number> {
  for (;;) {
    const span = BLOCK_RANGE.to - BLOCK_RANGE.from - size;
    const base = BLOCK_RANGE.from + Math.floor(Math.random() * span);
    let free = true;
    for (let i = 0; i <= size && free; i += 1) free = await canBind(base + i, host);
    if (free) return base;
  }
}
