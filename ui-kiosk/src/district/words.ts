import { lang, setLang, t, type MessageKey } from '../i18n.js';

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
  daysUnit: '天',
  ago: '前',
  empty: '没有符合条件的设备',
  health: '健康监测',
  signals: '聚集性疫情信号',
  noSignals: '所选期间没有信号',
  acknowledge: '确认收到',
  acknowledged: '已确认',
  notAcknowledged: '未确认',
  addNote: '添加备注',
  note: '备注',
  notePlaceholder: '处置情况，例如：已电话联系学校，建议停课观察',
  save: '保存',
  rule: '规则',
  category: '症状类别',
  cases: '病例数',
  days: '日期',
  reportedBySchool: '学校已上报',
  classDays: '各班每日晨检',
  klass: '班级',
  day: '日期',
  completion: '晨检完成率',
  fever: '发热',
  symptomsCol: '症状',
  illnessAbsence: '因病缺勤',
  zeroReport: '零报告',
  missingReports: '未上报',
  from: '从',
  to: '到',
  pseudonyms: '学生代号',
  healthOnly: '健康数据仅对卫生账号开放',
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
  daysUnit: 'd',
  ago: 'ago',
  empty: 'No appliance matches',
  health: 'Health',
  signals: 'Outbreak signals',
  noSignals: 'No signal in this period',
  acknowledge: 'Acknowledge',
  acknowledged: 'Acknowledged',
  notAcknowledged: 'Not acknowledged',
  addNote: 'Add a note',
  note: 'Note',
  notePlaceholder: 'What was done, e.g. called the school, advised to observe the class',
  save: 'Save',
  rule: 'Rule',
  category: 'Symptoms',
  cases: 'Cases',
  days: 'Days',
  reportedBySchool: 'Reported by the school',
  classDays: 'Morning checks by class and day',
  klass: 'Class',
  day: 'Day',
  completion: 'Checked',
  fever: 'Fever',
  symptomsCol: 'Symptoms',
  illnessAbsence: 'Absent ill',
  zeroReport: 'Zero report',
  missingReports: 'No report',
  from: 'From',
  to: 'To',
  pseudonyms: 'Pseudonyms',
  healthOnly: 'Health data is for health accounts only',
};

/** The console's language is the kiosk's (one switch, one stored choice, and its symptom and rule words). */
export const districtLang = lang;

export function setDistrictLang(l: 'zh-CN' | 'en'): void {
  setLang(l);
}

/** A symptom or a signal rule in the current language (the kiosk's words for them); the code itself if unknown. */
export function term(kind: 'symptom' | 'cluster', code: string): string {
  const key = `${kind}.${code}` as MessageKey;
  try {
    const v = t(key);
    return v === undefined ? code : v;
  } catch {
    return code;
  }
}

export function w(key: keyof Words): string {
  return (districtLang.get() === 'en' ? en : zh)[key];
}

/** A duration in seconds as the largest sensible unit. */
export function duration(s: number): string {
  if (s < 90) return `${Math.round(s)} ${w('seconds')}`;
  if (s < 5400) return `${Math.round(s / 60)} ${w('minutes')}`;
  if (s < 172_800) return `${Math.round(s / 3600)} ${w('hours')}`;
  return `${Math.round(s / 86_400)} ${w('daysUnit')}`;
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
