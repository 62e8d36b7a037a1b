import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, freePort, waitFor } from './env.js';

export interface ChildAppliance {
  child: ChildProcess;
  httpPort: number;
  mqttPort: number;
  /** http.tls.port and mqtt.tls.port, used once the configuration switches TLS on. */
  httpsPort: number;
  mqttsPort: number;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start `classedge start` as a real separate process with its own data dir and ports. `script`
 * replaces bin/classedge.js by a fixture that builds the appliance the same way (test/fixtures).
 */
export async function spawnAppliance(
  dataDir: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  script = CLI,
): Promise<ChildAppliance> {
  const httpPort = await freePort();
  const mqttPort = await freePort();
  const httpsPort = await freePort();
  const mqttsPort = await freePort();
  const child = spawn(process.execPath, [script, 'start', ...args], {
    env: {
      ...process.env,
      CLASSEDGE_DATA_DIR: dataDir,
      CLASSEDGE_HTTP_PORT: String(httpPort),
      CLASSEDGE_MQTT_PORT: String(mqttPort),
      CLASSEDGE_HTTPS_PORT: String(httpsPort),
      CLASSEDGE_MQTTS_PORT: String(mqttsPort),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (d: Buffer) => stdout.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, httpPort, mqttPort, httpsPort, mqttsPort, stdout, stderr, exited };
}

// The deadline only bounds a start that hangs (an exit fails at once); a child appliance on a loaded
// 2-core CI machine has needed more than 15 s to answer.
export async function healthy(app: ChildAppliance, timeoutMs = 60_000): Promise<{ status: string }> {
  return waitFor(
    async () => {
      if (app.child.exitCode !== null)
        throw new Error(
          `appliance exited ${app.child.exitCode}: ${app.stderr.join('')}${app.stdout.join('').slice(-2000)}`,
        );
      try {
        const r = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/health`);
        return r.status === 200 ? ((await r.json()) as { status: string }) : undefined;
      } catch {
        return undefined;
      }
    },
    'appliance health',
    timeoutMs,
  );
}
