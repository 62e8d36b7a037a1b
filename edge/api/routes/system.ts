import type { Static } from '@sinclair/typebox';
import { existsSync, statfsSync } from 'node:fs';
import { loadConfig } from '../../config/load.js';
import { route, type RouteDef } from '../route.js';
import { ConflictError } from '../../errors.js';
import type { HealthBody } from '../schemas.js';
import type { TlsStatusBody } from '../contract/system.js';
import type { ApiContext } from '../context.js';
import { ConfigSchema } from '../../config/schema.js';
import { dataClasses, DURABILITY_TEXT } from '../../store/data-classes.js';
import { editConfig } from '../../config/edit.js';
import type { Config } from '../../config/schema.js';
import { listenerLayout } from '../../security/listeners.js';
import { certInfo } from '../../security/tls.js';
import type { DiskState } from '../../runtime/disk-guard.js';
import type { KioskInfoBody } from '../contract/system.js';

function kioskStorage(d: DiskState): Static<typeof KioskInfoBody>['storage'] {
  return {
    level: d.level,
    freeMb: d.freeMb,
    unsyncedReadings: d.unsyncedReadings,
    recoveredAt: d.recovered?.at ?? null,
  };
}

function tlsStatus(config: Config): Static<typeof TlsStatusBody> {
  const listeners = listenerLayout(config).map(({ service, tls, host, port }) => ({ service, tls, host, port }));
  const file = config.http.tls.enabled ? config.http.tls.certFile : undefined;
  if (!file) return { listeners, fingerprint256: null, validTo: null };
  // The pair was checked at start; a file replaced since is shown as it is now.
  try {
    const info = certInfo(file);
    return { listeners, fingerprint256: info.fingerprint256, validTo: info.validTo.toISOString() };
  } catch {
    return { listeners, fingerprint256: null, validTo: null };
  }
}

export function healthOf(ctx: ApiContext): {
  status: Static<typeof HealthBody>['status'];
  body: Static<typeof HealthBody>;
} {
  const components = ctx.components();
  // Only a core component makes the appliance not serving (503). An optional one that is failed or
  // still preparing (the media worker being built for minutes) leaves it serving, degraded.
  const core = new Set(components.filter((c) => c.core).map((c) => c.state));
  const all = new Set(components.map((c) => c.state));
  const status = core.has('failed')
    ? 'failed'
    : core.has('starting')
      ? 'starting'
      : all.has('failed') || all.has('starting') || all.has('degraded')
        ? 'degraded'
        : 'ok';
  return {
    status,
    body: {
      status,
      version: ctx.version,
      applianceId: ctx.config.appliance.id,
      uptimeS: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      components: components.map(({ name, kind, state, detail, progress, core: isCore }) => ({
        name,
        kind,
        state,
        ...(detail !== undefined ? { detail } : {}),
        ...(progress !== undefined ? { progress } : {}),
        ...(isCore ? { core: true } : {}),
      })),
    },
  };
}

export const systemRoutes: RouteDef[] = [
  route('GET /api/v1/health', {
    tag: 'system',
    access: 'public',
    summary:
      'Liveness and component states. 200 while serving (ok, or degraded: an optional component failed or preparing), 503 while a core component is starting or failed.',
    handler: (req, ctx) => {
      const h = healthOf(ctx);
      if (h.status === 'failed' || h.status === 'starting') req.setStatus(503);
      return h.body;
    },
  }),
  route('GET /api/v1/components', {
    tag: 'system',
    access: 'teacher',
    summary: 'Every component with its state and counters.',
    handler: (_req, ctx) => ctx.components(),
  }),
  route('POST /api/v1/system/restart', {
    tag: 'system',
    access: 'admin',
    summary:
      'Restart the appliance so that saved settings take effect (the 重启服务 button of the settings page). Audited. Conflict when the process was not started by `classedge start` (then restart the service itself).',
    handler: (req, ctx) => {
      const restart = ctx.restart;
      if (!restart)
        throw new ConflictError(
          'this process cannot restart itself; restart the service (systemctl restart classedge)',
        );
      ctx.store.audit.record({
        actor: `user:${req.session?.username ?? '?'}`,
        action: 'system.restart',
        target: ctx.configSource.file,
        result: 'ok',
      });
      // After the answer has gone: the restart closes this server.
      setTimeout(restart, 200).unref();
      return { restarting: true as const };
    },
  }),
  route('GET /api/v1/status', {
    tag: 'system',
    access: 'admin',
    summary: 'System status for IT staff: versions, disk, uptime, broker clients, database.',
    handler: (_req, ctx) => {
      const fs = statfsSync(ctx.config.dataDir);
      return {
        version: ctx.version,
        node: process.version,
        applianceId: ctx.config.appliance.id,
        uptimeS: Math.round((Date.now() - ctx.startedAt) / 1000),
        disk: { freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize },
        brokerClients: ctx.brokerClients(),
        schemaVersion: ctx.store.schemaVersion(),
        rssBytes: process.memoryUsage.rss(),
        tls: tlsStatus(ctx.config),
      };
    },
  }),
  route('GET /api/v1/data-classes', {
    tag: 'system',
    access: 'admin',
    summary: 'Every class of data kept: purpose, personal data, retention and where it may go.',
    handler: (_req, ctx) =>
      dataClasses.map((d) => ({
        name: d.name,
        purpose: d.purpose,
        personal: d.personal,
        destination: d.destination,
        retentionDays: d.retentionDays(ctx.config) ?? null,
        durability: d.durability,
        durabilityText: DURABILITY_TEXT[d.durability],
      })),
  }),
  route('GET /api/v1/config/schema', {
    tag: 'system',
    access: 'admin',
    summary: 'The configuration JSON Schema (drives the settings form).',
    handler: () => ConfigSchema,
  }),
  route('GET /api/v1/kiosk', {
    tag: 'system',
    access: 'public',
    summary: 'What the panel needs before anyone logs in: the room name, language and idle-lock time.',
    handler: (_req, ctx) => ({
      applianceName: ctx.config.appliance.name,
      version: ctx.version,
      idleLockSeconds: ctx.config.kiosk.idleLockSeconds,
      defaultLanguage: ctx.config.kiosk.defaultLanguage,
      itContact: ctx.config.kiosk.itContact,
      pinLength: ctx.config.auth.pinLength,
      passwordMinLength: ctx.config.auth.passwordMinLength,
      lockoutSeconds: ctx.config.auth.lockoutMinutes * 60,
      storage: kioskStorage(ctx.disk.diskState()),
    }),
  }),
  route('PUT /api/v1/config', {
    tag: 'system',
    access: 'admin',
    summary:
      'Change settings: validated exactly as a start would (every problem listed), then saved to the configuration file, keeping its comments. Takes effect at the next start. dryRun only validates.',
    handler: (req, ctx) => {
      editConfig(ctx.configSource, req.body.changes, { dryRun: req.body.dryRun });
      if (!req.body.dryRun) {
        ctx.store.audit.record({
          actor: `user:${req.session?.username ?? '?'}`,
          action: 'config.edit',
          target: ctx.configSource.file,
          result: 'ok',
          detail: { paths: req.body.changes.map((c) => c.path) },
        });
      }
      return { saved: !req.body.dryRun, file: ctx.configSource.file, restartRequired: !req.body.dryRun };
    },
  }),
  route('GET /api/v1/config/saved', {
    tag: 'system',
    access: 'admin',
    summary:
      'The settings as saved in the configuration file (what the next start will use, with the same flags and environment), and whether they differ from those in effect: the settings form edits these.',
    handler: (_req, ctx) => {
      const src = ctx.configSource;
      const settings = existsSync(src.file) ? loadConfig(src.file, src.overrides, src.overlay) : ctx.config;
      return {
        settings,
        file: src.file,
        restartRequired: JSON.stringify(settings) !== JSON.stringify(ctx.config),
      };
    },
  }),
  route('GET /api/v1/config', {
    tag: 'system',
    access: 'admin',
    summary: 'The configuration in effect, defaults filled in.',
    handler: (_req, ctx) => ctx.config,
  }),
];
