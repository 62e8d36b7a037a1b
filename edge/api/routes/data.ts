import { Type } from '@sinclair/typebox';
import { route, type RouteDef } from '../route.js';
import { AuditBody, DeviceBody, DeviceCredentialsBody, Ok, ReadingBody, UserBody } from '../schemas.js';
import { addDevice, removeDevice, rotateDeviceSecret } from '../../services/devices.js';
import { addUser, removeUser, setUserDisabled, setUserSecret } from '../../services/accounts.js';
import { DEVICE_KINDS } from '../../store/repos/devices.js';
import { StringEnum } from '../../config/string-enum.js';

import { actor } from '../actor.js';

export const readingRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/readings',
    tag: 'readings',
    access: 'teacher',
    summary: 'Stored readings, newest first, filtered by device, metric and time (ms since epoch).',
    query: Type.Object(
      {
        deviceId: Type.Optional(Type.String({ maxLength: 64 })),
        metric: Type.Optional(Type.String({ maxLength: 32 })),
        from: Type.Optional(Type.Integer({ minimum: 0 })),
        to: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Integer({ minimum: 1, maximum: 10000, default: 500 }),
      },
      { additionalProperties: false },
    ),
    response: Type.Array(ReadingBody),
    handler: (req, ctx) => ctx.store.readings.query(req.query),
  }),
  route({
    method: 'get',
    path: '/api/v1/readings/latest',
    tag: 'readings',
    access: 'teacher',
    summary: "The newest value of every device's every metric: the room's current state.",
    response: Type.Array(ReadingBody),
    handler: (_req, ctx) => ctx.store.readings.latest(),
  }),
];

export const deviceRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/devices',
    tag: 'devices',
    access: 'admin',
    summary: 'Registered devices.',
    response: Type.Array(DeviceBody),
    handler: (_req, ctx) => ctx.store.devices.list(),
  }),
  route({
    method: 'post',
    path: '/api/v1/devices',
    tag: 'devices',
    access: 'admin',
    summary: 'Register a device; its MQTT password is in the answer and is shown only this once.',
    body: Type.Object(
      { id: Type.String({ maxLength: 63 }), kind: StringEnum(DEVICE_KINDS), description: Type.Optional(Type.String({ maxLength: 200 })) },
      { additionalProperties: false },
    ),
    response: DeviceCredentialsBody,
    status: 201,
    handler: (req, ctx) => addDevice(ctx.store, req.body, actor(req)),
  }),
  route({
    method: 'post',
    path: '/api/v1/devices/:id/secret',
    tag: 'devices',
    access: 'admin',
    summary: "Issue a new MQTT password for a device (the old one stops working; it is disconnected).",
    response: DeviceCredentialsBody,
    handler: async (req, ctx) => {
      const id = req.params.id ?? '';
      const creds = await rotateDeviceSecret(ctx.store, id, actor(req));
      ctx.deviceCredentialsChanged(id);
      return creds;
    },
  }),
  route({
    method: 'delete',
    path: '/api/v1/devices/:id',
    tag: 'devices',
    access: 'admin',
    summary: 'Remove a device; it is disconnected and cannot connect again. Its stored readings stay.',
    response: Ok,
    handler: (req, ctx) => {
      const id = req.params.id ?? '';
      removeDevice(ctx.store, id, actor(req));
      ctx.deviceCredentialsChanged(id);
      return { ok: true };
    },
  }),
];

export const userRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/users',
    tag: 'users',
    access: 'admin',
    summary: 'Admin and teacher accounts.',
    response: Type.Array(UserBody),
    handler: (_req, ctx) => ctx.store.users.list(),
  }),
  route({
    method: 'post',
    path: '/api/v1/users',
    tag: 'users',
    access: 'admin',
    summary: 'Add an admin (password) or a teacher (PIN).',
    body: Type.Object(
      {
        username: Type.String({ maxLength: 64 }),
        displayName: Type.Optional(Type.String({ maxLength: 60 })),
        role: StringEnum(['admin', 'teacher'] as const),
        secret: Type.String({ maxLength: 128, description: "The admin's password or the teacher's PIN." }),
      },
      { additionalProperties: false },
    ),
    response: UserBody,
    status: 201,
    handler: (req, ctx) => addUser(ctx.store, ctx.config, req.body, actor(req)),
  }),
  route({
    method: 'put',
    path: '/api/v1/users/:username/secret',
    tag: 'users',
    access: 'admin',
    summary: "Set a user's password or PIN; their sessions end and any lock is lifted.",
    body: Type.Object({ secret: Type.String({ maxLength: 128 }) }, { additionalProperties: false }),
    response: Ok,
    handler: async (req, ctx) => {
      await setUserSecret(ctx.store, ctx.config, req.params.username ?? '', req.body.secret, actor(req));
      return { ok: true };
    },
  }),
  route({
    method: 'put',
    path: '/api/v1/users/:username/disabled',
    tag: 'users',
    access: 'admin',
    summary: 'Disable (true) or enable (false) an account. Disabling ends its sessions at once; enabling lifts any lock. The last enabled admin cannot be disabled (409).',
    body: Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false }),
    response: UserBody,
    handler: (req, ctx) => setUserDisabled(ctx.store, req.params.username ?? '', req.body.disabled, actor(req)),
  }),
  route({
    method: 'delete',
    path: '/api/v1/users/:username',
    tag: 'users',
    access: 'admin',
    summary: 'Delete an account; its sessions end at once (the audit log keeps its actions). The last enabled admin cannot be deleted (409).',
    response: Ok,
    handler: (req, ctx) => {
      removeUser(ctx.store, req.params.username ?? '', actor(req));
      return { ok: true };
    },
  }),
];

export const auditRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/api/v1/audit',
    tag: 'audit',
    access: 'admin',
    summary: 'The security audit log, newest first; page with beforeId.',
    query: Type.Object(
      {
        limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
        action: Type.Optional(Type.String({ maxLength: 64 })),
      },
      { additionalProperties: false },
    ),
    response: Type.Array(AuditBody),
    handler: (req, ctx) => ctx.store.audit.list(req.query),
  }),
];
