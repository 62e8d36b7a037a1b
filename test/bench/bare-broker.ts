import { createServer } from 'node:net';
import { Aedes } from 'aedes';

/**
 * A bare aedes broker: no authentication, no validation, no store. The same load is sent here and
 * to the appliance in one bench run, so the ratio shows what ClassEdge's guarantees cost.
 */
const port = Number(process.argv[2] ?? 0);
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
