import { signalLike } from '../store.js';

/** The district console's words, zh-CN first with an English switch (kept apart from the kiosk's i18n.ts). */
const zh = {
  title: 'ClassEdge 区级平台',
  fleet: '设备总览',
  login: '登录',
  logout: '退出',
  username: '用户名',
  password: '密码',
  badLogin: '用户名或密码错误',
  locked: '密码错误次数过多，账号已暂时锁定，请稍后再试',
  busy: '登录的人太多，请稍后再试',
  forbidden: '此账号无权查看设备总览（区级和学校信息技术人员可以）',
  loadFailed: '读取失败',
  roleDistrictIt: '区级信息技术',
  roleSchoolIt: '学校信息技术',
  roleHealth: '卫生',
  roleResearch: '教研',
  roleEnvironment: '环境',
  allSchools: '全部学校',
  anyStatus: '全部状态',
  online: '在线',
  offline: '离线',
  problem: '需要关注',
  search: '搜索编号、学校、教室、版本',
  total: '设备',
  school: '学校',
  classroom: '教室',
  status: '状态',
  lastHeartbeat: '最近心跳',
  version: '软件版本',
  components: '组件',
  allRunning: '全部正常',
  notRunning: '异常',
  diskFree: '磁盘剩余',
  flashPerDay: '闪存写入/天',
  flashLife: '闪存寿命已用',
  syncLag: '同步延迟',
  quarantined: '隔离记录',
  never: '从未',
  none: '无',
  back: '返回总览',
  streams: '数据流',
  stream: '数据流',
  committed: '区级已确认',
  backlog: '待发送',
  lag: '延迟',
  history: '状态历史',
  at: '时间',
  uptime: '运行时长',
  clockSkew: '时钟偏差',
  configVersion: '配置版本',
  lastSeen: '最近联系',
  noHeartbeat: '尚无心跳',
  matching: '条匹配',
  language: 'English',
  seconds: '秒',
  minutes: '分钟',
  hours: '小时',
  days: '天',
  ago: '前',
  empty: '没有符合条件的设备',
};
type Words = typeof zh;
const en: Words = {
  title: 'ClassEdge district',
  fleet: 'Fleet',
  login: 'Log in',
  logout: 'Log out',
  username: 'Username',
  password: 'Password',
  badLogin: 'Wrong username or password',
  locked: 'Too many wrong passwords: the account is locked for a while',
  busy: 'Too many logins at once; try again in a moment',
  forbidden: 'This account may not see the fleet (district and school IT may)',
  loadFailed: 'Could not load',
  roleDistrictIt: 'District IT',
  roleSchoolIt: 'School IT',
  roleHealth: 'Health',
  roleResearch: 'Teaching research',
  roleEnvironment: 'Environment',
  allSchools: 'All schools',
  anyStatus: 'Any status',
  online: 'Online',
  offline: 'Offline',
  problem: 'Needs attention',
  search: 'Search id, school, classroom, version',
  total: 'Appliances',
  school: 'School',
  classroom: 'Classroom',
  status: 'Status',
  lastHeartbeat: 'Last heartbeat',
  version: 'Version',
  components: 'Components',
  allRunning: 'All running',
  notRunning: 'Not running',
  diskFree: 'Disk free',
  flashPerDay: 'Flash written/day',
  flashLife: 'Flash life used',
  syncLag: 'Sync lag',
  quarantined: 'Quarantined',
  never: 'never',
  none: 'none',
  back: 'Back to the fleet',
  streams: 'Streams',
  stream: 'Stream',
  committed: 'Committed at the district',
  backlog: 'Waiting',
  lag: 'Lag',
  history: 'Status history',
  at: 'Time',
  uptime: 'Uptime',
  clockSkew: 'Clock skew',
  configVersion: 'Configuration version',
  lastSeen: 'Last contact',
  noHeartbeat: 'No heartbeat yet',
  matching: 'matching',
  language: '中文',
  seconds: 's',
  minutes: 'min',
  hours: 'h',
  days: 'd',
  ago: 'ago',
  empty: 'No appliance matches',
};

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('classedge-district-lang') : null;
export const districtLang = signalLike<'zh-CN' | 'en'>(saved === 'en' ? 'en' : 'zh-CN');

export function setDistrictLang(l: 'zh-CN' | 'en'): void {
  localStorage.setItem('classedge-district-lang', l);
  document.documentElement.lang = l;
  districtLang.set(l);
}

export function w(key: keyof Words): string {
  return (districtLang.get() === 'en' ? en : zh)[key];
}

/** A duration in seconds as the largest sensible unit. */
export function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} ${w('seconds')}`;
  if (s < 5400) return `${Math.round(s / 60)} ${w('minutes')}`;
  if (s < 172_800) return `${Math.round(s / 3600)} ${w('hours')}`;
  return `${Math.round(s / 86_400)} ${w('days')}`;
}

export function bytes(b: number | null): string {
  if (b === null) return '—';
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(b / 1024)} KiB`;
}

export function when(ms: number | null, now: number): string {
  if (ms === null) return w('never');
  return `${duration(Math.max(0, (now - ms) / 1000))} ${w('ago')}`;
}
