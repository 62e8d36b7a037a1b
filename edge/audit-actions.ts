/**
 * Every action the audit log records. Its own module without imports: the audit repository types its
 * records with it, and the admin console's audit page names each one in words (ui-kiosk/src/i18n.ts
 * has an `auditAction.<action>` key for each; a new action without one does not compile).
 * Records written by older versions may carry other actions: the console shows those by their code.
 */
export const AUDIT_ACTIONS = [
  // The appliance itself
  'appliance.start',
  'appliance.stop',
  'system.restart',
  'config.edit',
  'provision',
  'update',
  'backup',
  'restore',
  'tls.generate',
  'store.corrupt-recovered',
  'disk.shed',
  'clock.jump',
  'clock.restored',
  'clock.trusted',
  'audit.pruned',
  'retention.outbox-withdrawn',
  // Accounts and sessions
  'login.admin',
  'login.teacher',
  'logout',
  'user.add',
  'user.remove',
  'user.set-secret',
  'user.disable',
  'user.enable',
  // Devices and the broker
  'device.add',
  'device.remove',
  'device.rotate-secret',
  'mqtt.connect',
  'mqtt.publish',
  'mqtt.denied.summary',
  // Morning check and student data
  'health.check',
  'health.correct',
  'health.absence',
  'health.alert-reported',
  'health.export',
  'health.read-student',
  'health.roster-import',
  'student.export',
  'student.consent',
  'student.erase',
  // Lessons, the diagnostic capture, remote lessons
  'lesson.start',
  'lesson.end',
  'lesson.trends.read',
  'analysis.capture.start',
  'analysis.capture.stop',
  'analysis.capture.purge',
  'media.lesson.start',
  'media.lesson.end',
  'media.participant.mute',
  'media.participant.remove',
  'media.partner.link',
  'media.partner.join',
  // The room and the panel
  'room.scene',
  'room.switch',
  'room.curtain',
  'room.override',
  'room.override.lapsed',
  'display.command',
  // The district
  'sync.enrol',
  'sync.reenrol',
  'sync.now',
  'sync.key-rotation',
  'sync.rebased',
  'config.pull',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(a: string): a is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(a);
}
