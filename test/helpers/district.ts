import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { startPostgres, type TestPostgres } from './postgres.js';

export interface TestDistrict {
  pgsql: TestPostgres;
  receiver: DistrictReceiver;
  /** The receiver's base URL on loopback. */
  url: string;
  stop(): Promise<void>;
}

/** A real district receiver on its own PostgreSQL in a temp directory, listening on loopback. */
export async function startDistrict(): Promise<TestDistrict> {
  const pgsql = await startPostgres();
  const receiver = new DistrictReceiver({ databaseUrl: pgsql.url });
  await receiver.migrate();
  const url = `http://127.0.0.1:${await receiver.listen(0)}`;
  return {
    pgsql,
    receiver,
    url,
    stop: async () => {
      await receiver.close();
      await pgsql.stop();
    },
  };
}
