import type { Server as NetServer } from 'node:net';

/** Listen, resolving once bound and rejecting with the bind error (EADDRINUSE names the port). */
export function listen(server: NetServer, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
