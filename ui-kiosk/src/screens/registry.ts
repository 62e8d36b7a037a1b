import type { ComponentType } from 'preact';
import type { MessageKey } from '../i18n.js';
import { TeacherHome } from './teacher/home.js';

/**
 * Every screen of the kiosk, in menu order. Adding a screen = one file under screens/ and one entry
 * here: the shell builds the menu, the route and the home button from this list. Admin screens
 * load lazily so that the teacher panel's first load stays small.
 */
export interface ScreenDef {
  id: string;
  mode: 'teacher' | 'admin';
  /** Hash route, e.g. `/devices`. */
  path: string;
  title: MessageKey;
  /** The screen's component; admin screens import their own chunk on first use. */
  load: () => Promise<ComponentType>;
}

export const screens: readonly ScreenDef[] = [
  { id: 'home', mode: 'teacher', path: '/', title: 'nav.home', load: () => Promise.resolve(TeacherHome) },
  {
    id: 'health',
    mode: 'teacher',
    path: '/health',
    title: 'nav.health',
    load: () => import('./teacher/health.js').then((m) => m.HealthScreen),
  },
  {
    id: 'display',
    mode: 'teacher',
    path: '/display',
    title: 'nav.display',
    load: () => import('./teacher/display.js').then((m) => m.DisplayScreen),
  },
  {
    id: 'lesson',
    mode: 'teacher',
    path: '/lesson',
    title: 'nav.lesson',
    load: () => import('./teacher/lesson.js').then((m) => m.LessonScreen),
  },
  {
    id: 'room',
    mode: 'teacher',
    path: '/room',
    title: 'nav.room',
    load: () => import('./teacher/room.js').then((m) => m.RoomScreen),
  },
  {
    id: 'remote',
    mode: 'teacher',
    path: '/remote',
    title: 'nav.remote',
    load: () => import('./teacher/remote-lesson.js').then((m) => m.RemoteLessonScreen),
  },
  {
    id: 'help',
    mode: 'teacher',
    path: '/help',
    title: 'nav.help',
    load: () => import('./teacher/help.js').then((m) => m.HelpScreen),
  },
  {
    id: 'devices',
    mode: 'admin',
    path: '/devices',
    title: 'admin.devices',
    load: () => import('./admin/devices.js').then((m) => m.DevicesScreen),
  },
  {
    id: 'users',
    mode: 'admin',
    path: '/users',
    title: 'admin.users',
    load: () => import('./admin/users.js').then((m) => m.UsersScreen),
  },
  {
    id: 'students',
    mode: 'admin',
    path: '/students',
    title: 'admin.students',
    load: () => import('./admin/students.js').then((m) => m.StudentsScreen),
  },
  {
    id: 'trends',
    mode: 'admin',
    path: '/trends',
    title: 'admin.trends',
    load: () => import('./admin/lesson-trends.js').then((m) => m.AdminTrendsScreen),
  },
  {
    id: 'settings',
    mode: 'admin',
    path: '/settings',
    title: 'admin.settings',
    load: () => import('./admin/settings.js').then((m) => m.SettingsScreen),
  },
  {
    id: 'audit',
    mode: 'admin',
    path: '/audit',
    title: 'admin.audit',
    load: () => import('./admin/audit.js').then((m) => m.AuditScreen),
  },
  {
    id: 'modbus',
    mode: 'admin',
    path: '/modbus',
    title: 'admin.modbus',
    load: () => import('./admin/modbus.js').then((m) => m.ModbusScreen),
  },
  {
    id: 'sync',
    mode: 'admin',
    path: '/sync',
    title: 'admin.sync',
    load: () => import('./admin/sync.js').then((m) => m.SyncScreen),
  },
  {
    id: 'capture',
    mode: 'admin',
    path: '/capture',
    title: 'admin.capture',
    load: () => import('./admin/capture.js').then((m) => m.CaptureScreen),
  },
  {
    id: 'status',
    mode: 'admin',
    path: '/status',
    title: 'admin.status',
    load: () => import('./admin/status.js').then((m) => m.StatusScreen),
  },
];

export function screensFor(mode: 'teacher' | 'admin'): ScreenDef[] {
  return screens.filter((s) => s.mode === mode);
}
