import { route, type RouteDef } from '../route.js';
import { OK } from '../schemas.js';
import { addDevice, removeDevice, rotateDeviceSecret } from '../../services/devices.js';
import { addUser, removeUser, setUserDisabled, setUserSecret } from '../../services/accounts.js';

import { actor } from '../actor.js';

export const readingRoutes: RouteDef[] = [
  route('GET /api/v1/readings', {
    tag: 'readings',
    access: 'teacher',
    summary: 'Stored readings, newest first, filtered by device, metric and time (ms since epoch).',
    handler: (req, ctx) => {
      ctx.readings.apply();
      return ctx.store.readings.query(req.query);
    },
  }),
  route('GET /api/v1/readings/latest', {
    tag: 'readings',
    access: 'teacher',
    summary: "The newest value of every device's every metric: the room's current state.",
    handler: (_req, ctx) => ctx.readings.latest(),
  }),
];

export const deviceRoutes: RouteDef[] = [
  route('GET /api/v1/devices', {
    tag: 'devices',
    access: 'admin',
    summary: 'Registered devices.',
    handler: (_req, ctx) => ctx.store.devices.list(),
  }),
  route('POST /api/v1/devices', {
    tag: 'devices',
    access: 'admin',
    summary: 'Register a device; its MQTT password is in the answer and is shown only this once.',
    status: 201,
    handler: (req, ctx) => addDevice(ctx.store, req.body, actor(req)),
  }),
  route('POST /api/v1/devices/:id/secret', {
    tag: 'devices',
    access: 'admin',
    summary: 'Issue a new MQTT password for a device (the old one stops working; it is disconnected).',
    handler: async (req, ctx) => {
      const id = req.params.id;
      const creds = await rotateDeviceSecret(ctx.store, id, actor(req));
      ctx.deviceCredentialsChanged(id);
      return creds;
    },
  }),
  route('DELETE /api/v1/devices/:id', {
    tag: 'devices',
    access: 'admin',
    summary: 'Remove a device; it is disconnected and cannot connect again. Its stored readings stay.',
    handler: (req, ctx) => {
      const id = req.params.id;
      removeDevice(ctx.store, id, actor(req));
      ctx.deviceCredentialsChanged(id);
      return OK;
    },
  }),
];

export const userRoutes: RouteDef[] = [
  route('GET /api/v1/users', {
    tag: 'users',
    access: 'admin',
    summary: 'Admin and teacher accounts.',
    handler: (_req, ctx) => ctx.store.users.list(),
  }),
  route('POST /api/v1/users', {
    tag: 'users',
    access: 'admin',
    summary: 'Add an admin (password) or a teacher (PIN).',
    status: 201,
    handler: (req, ctx) => addUser(ctx.store, ctx.config, req.body, actor(req)),
  }),
  route('PUT /api/v1/users/:username/secret', {
    tag: 'users',
    access: 'admin',
    summary: "Set a user's password or PIN; their sessions end and any lock is lifted.",
    handler: async (req, ctx) => {
      await setUserSecret(ctx.store, ctx.config, req.params.username, req.body.secret, actor(req));
      return OK;
    },
  }),
  route('PUT /api/v1/users/:username/disabled', {
    tag: 'users',
    access: 'admin',
    summary:
      'Disable (true) or enable (false) an account. Disabling ends its sessions at once; enabling lifts any lock. The last enabled admin cannot be disabled (409).',
    handler: (req, ctx) => setUserDisabled(ctx.store, req.params.username, req.body.disabled, actor(req)),
  }),
  route('DELETE /api/v1/users/:username', {
    tag: 'users',
    access: 'admin',
    summary:
      'Delete an account; its sessions end at once (the audit log keeps its actions). The last enabled admin cannot be deleted (409).',
    handler: (req, ctx) => {
      removeUser(ctx.store, req.params.username, actor(req));
      return OK;
    },
  }),
];

export const auditRoutes: RouteDef[] = [
  route('GET /api/v1/audit', {
    tag: 'audit',
    access: 'admin',
    summary: 'The security audit log, newest first; page with beforeId.',
    handler: (req, ctx) => ctx.store.audit.list(req.query),
  }),
];
