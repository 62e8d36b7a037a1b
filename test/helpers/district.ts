import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { startPostgres, type TestPostgres } from './postgres.js';
import { applianceKey, writeEnrolment } from '../../edge/sync/keys.js';

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

/**
 * Enrols the data directory `dataDir` as `applianceId` with the receiver at `url` (its key made now),
 * and writes the enrolment the appliance reads at start: `classedge enrol` without the CLI process.
 */
export async function enrolDataDir(
  receiver: DistrictReceiver,
  url: string,
  dataDir: string,
  applianceId: string,
  school = '',
): Promise<void> {
  const token = await receiver.createToken(applianceId, school);
  const { publicKeyPem } = applianceKey(dataDir);
  const e = await fetch(`${url}/v1/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, applianceId, publicKey: publicKeyPem }),
  });
  if (e.status !== 201) throw new Error(`enrol: HTTP ${e.status} ${await e.text()}`);
  const { districtPublicKey } = (await e.json()) as { districtPublicKey: string };
  writeEnrolment(dataDir, {
    districtUrl: url,
    applianceId,
    districtPublicKeyPem: districtPublicKey,
    enrolledAt: Date.now(),
  });
}
