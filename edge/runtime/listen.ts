import type { Server as NetServer } from 'node:net';

/**
 * Listen, resolving once bound and rejecting with the bind error (EADDRINUSE names the port).
 * `signal` (the shutdown) ends the wait and closes the server.
 */
export function listen(server: NetServer, port: number, host: string, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const done = (): void => {
      server.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    const onAbort = (): void => {
      done();
      server.close();
      reject(signal?.reason as Error);
    };
    server.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    server.listen(port, host, () => {
      done();
      resolve();
    });
  });
}
