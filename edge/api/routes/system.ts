import { Type } from '@sinclair/typebox';
import { statfsSync } from 'node:fs';
import { route, type RouteDef } from '../route.js';
import { ComponentStatusBody, HealthBody } from '../schemas.js';
import type { ApiContext } from '../context.js';
import { ConfigSchema } from '../../config/schema.js';
import { dataClasses } from '../../store/data-classes.js';
import { editConfig } from '../../config/edit.js';
import type { Config } from '../../config/schema.js';
import { listenerLayout } from '../../security/listeners.js';
import { certInfo } from '../../security/tls.js';

function tlsStatus(config: Config): { listeners: { service: string; tls: boolean; host: string; port: number }[]; fingerprint256: string | null; validTo: string | null } {
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

export function healthOf(ctx: ApiContext): { status: 'ok' | 'degraded' | 'starting' | 'failed'; body: unknown } {
  const components = ctx.components();
  // Only a core component makes the appliance not serving (503). An optional one that is failed or
  // still preparing (the media worker being built for minutes) leaves it serving, degraded.
  const core = new Set(components.filter((c) => c.core).map((c) => c.state));
  const all = new Set(components.map((c) => c.state));
  const status = core.has('failed') ? 'failed' : core.has('starting') ? 'starting' : all.has('failed') || all.has('starting') || all.has('degraded') ? 'degraded' : 'ok';
  return {
    status,
    body: {
      status,
      version: ctx.version,
      applianceId: ctx.config.appliance.id,
      uptimeS: Math.round((Date.now() - ctx.startedAt) / 100) / 10,
      components: components.map(({ name, kind, state, detail, progress, core: isCore }) => ({ name, kind, state, ...(detail !== undefined ? { detail } : {}), ...(progress !== undefined ? { progress } : {}), ...(isCore ? { core: true } : {}) })),
    },
  };
}

export const systemRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/health',
    tag: 'system',
    access: 'public',
    summary: 'Liveness and component states. 200 while serving (ok, or degraded: an optional component failed or preparing), 503 while a core component is starting or failed.',
    response: HealthBody,
    handler: (req, ctx) => {
      const h = healthOf(ctx);
      if (h.status === 'failed' || h.status === 'starting') req.setStatus(503);
      return h.body;
    },
  }),
  route({
    method: 'get',
    path: '/api/v1/components',
    tag: 'system',
    access: 'teacher',
    summary: 'Every component with its state and counters.',
    response: Type.Array(ComponentStatusBody),
    handler: (_req, ctx) => ctx.components(),
  }),
  route({
    method: 'get',
    path: '/api/v1/status',
    tag: 'system',
    access: 'admin',
    summary: 'System status for IT staff: versions, disk, uptime, broker clients, database.',
    response: Type.Object({
      version: Type.String(),
      node: Type.String(),
      applianceId: Type.String(),
      uptimeS: Type.Number(),
      disk: Type.Object({ freeBytes: Type.Number(), totalBytes: Type.Number() }),
      brokerClients: Type.Integer(),
      schemaVersion: Type.Integer(),
      rssBytes: Type.Integer(),
      tls: Type.Object({
        listeners: Type.Array(Type.Object({ service: Type.String(), tls: Type.Boolean(), host: Type.String(), port: Type.Integer() }), {
          description: 'The configured listeners: plain ones are on loopback once TLS is on, unless plaintextLan.',
        }),
        fingerprint256: Type.Union([Type.String(), Type.Null()], { description: 'SHA-256 of the certificate HTTPS serves, for browsers and devices to pin; null with TLS off.' }),
        validTo: Type.Union([Type.String(), Type.Null()]),
      }),
    }),
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
  route({
    method: 'get',
    path: '/api/v1/data-classes',
    tag: 'system',
    access: 'admin',
    summary: 'Every class of data kept: purpose, personal data, retention and where it may go.',
    response: Type.Array(
      Type.Object({
        name: Type.String(),
        purpose: Type.String(),
        personal: Type.String(),
        destination: Type.String(),
        retentionDays: Type.Union([Type.Integer(), Type.Null()]),
      }),
    ),
    handler: (_req, ctx) =>
      dataClasses.map((d) => ({ name: d.name, purpose: d.purpose, personal: d.personal, destination: d.destination, retentionDays: d.retentionDays(ctx.config) ?? null })),
  }),
  route({
    method: 'get',
    path: '/api/v1/config/schema',
    tag: 'system',
    access: 'admin',
    summary: 'The configuration JSON Schema (drives the settings form).',
    response: Type.Unknown(),
    handler: () => ConfigSchema,
  }),
  route({
    method: 'get',
    path: '/api/v1/kiosk',
    tag: 'system',
    access: 'public',
    summary: 'What the panel needs before anyone logs in: the room name, language and idle-lock time.',
    response: Type.Object({
      applianceName: Type.String(),
      version: Type.String(),
      idleLockSeconds: Type.Integer(),
      defaultLanguage: Type.String(),
      pinLength: Type.Integer(),
    }),
    handler: (_req, ctx) => ({
      applianceName: ctx.config.appliance.name,
      version: ctx.version,
      idleLockSeconds: ctx.config.kiosk.idleLockSeconds,
      defaultLanguage: ctx.config.kiosk.defaultLanguage,
      pinLength: ctx.config.auth.pinLength,
    }),
  }),
  route({
    method: 'put',
    path: '/api/v1/config',
    tag: 'system',
    access: 'admin',
    summary:
      'Change settings: validated exactly as a start would (every problem listed), then saved to the configuration file, keeping its comments. Takes effect at the next start. dryRun only validates.',
    body: Type.Object(
      {
        changes: Type.Array(Type.Object({ path: Type.String({ pattern: '^(/[A-Za-z0-9]+)+$' }), value: Type.Unknown() }, { additionalProperties: false }), {
          minItems: 1,
          maxItems: 100,
        }),
        dryRun: Type.Boolean({ default: false }),
      },
      { additionalProperties: false },
    ),
    response: Type.Object({ saved: Type.Boolean(), file: Type.String(), restartRequired: Type.Boolean() }),
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
  route({
    method: 'get',
    path: '/api/v1/config',
    tag: 'system',
    access: 'admin',
    summary: 'The configuration in effect, defaults filled in.',
    response: Type.Unknown(),
    handler: (_req, ctx) => ctx.config,
  }),
];
