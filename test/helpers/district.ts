import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface TestDistrict {
  pgsql: TestPostgres;
  receiver: DistrictReceiver;
  port: number;
  /** The receiver's base URL on loopback. */
  url: string;
  /** Closes the receiver, and the PostgreSQL server when this helper started it. */
  stop(): Promise<void>;
}

/**
 * A real district receiver listening on loopback, on `pgsql` (a server the caller shares between
 * tests and stops itself) or else on its own PostgreSQL in a temp directory.
 */
export async function startDistrict(pgsql?: TestPostgres): Promise<TestDistrict> {
  const db = pgsql ?? (await startPostgres());
  const receiver = new DistrictReceiver({ databaseUrl: db.url });
  await receiver.migrate();
  const port = await receiver.listen(0);
  return {
    pgsql: db,
    receiver,
    port,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await receiver.close();
      if (!pgsql) await db.stop();
    },
  };
}
