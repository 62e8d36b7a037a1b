import type { CheckStatus } from '../doctor/checks.js';
import type { Lang } from '../cli/lang.js';

/**
 * What `classedge provision` and `classedge enrol` say to the IT technician, one table per
 * language. Both tables have the type `ProvisionText`, so a key missing from one does not compile.
 * Step ids, statuses and the JSON output stay the same in every language: only the words change.
 */

/** The steps of provisioning, by their stable id (the JSON output's `step`). */
export type StepId = 'identity' | 'keys' | 'tls' | 'enrol' | 'district-config' | 'admin' | 'serial-ports';
export type StepStatus = 'done' | 'skipped' | 'warn' | 'failed';

type None = Record<never, never>;

/** Every sentence a step can end with, and what it needs to be said. */
export interface DetailParams {
  identity: { id: string; where: string; file: string; written: boolean };
  keys: { file: string; code: string; made: boolean };
  tlsOptOut: { changed: boolean; file: string; stayOn: string[] };
  tlsOptedIn: None;
  tlsOtherCert: {
    otherCertFile: string;
    made: boolean;
    certFile: string;
    fingerprint: string;
    validTo: string;
    mqttOn: boolean;
  };
  tlsSelfSigned: {
    made: boolean;
    certFile: string;
    fingerprint: string;
    validTo: string;
    switchedOn: boolean;
    httpsPort: number;
    mqttsPort: number;
  };
  enrolAlready: { url: string; id: string };
  enrolOtherDistrict: { enrolledUrl: string; url: string };
  enrolMissing: None;
  enrolDone: { url: string };
  standalone: { config: string };
  districtConfigStandalone: None;
  districtConfigRefused: { why: string };
  districtConfigNone: None;
  districtConfigApplied: { version: number; already: boolean };
  districtConfigFailed: { why: string };
  adminExists: { names: string[] };
  adminMissing: None;
  adminCreated: { name: string };
  portsNone: None;
  portsMissing: { missing: { port: string; name: string }[] };
  portsPresent: { ports: string[] };
  /** A message from elsewhere (the district's answer, the password rules, openssl...): English, as it came. */
  error: { why: string };
}

/** One step's sentence: which one (`msg`) and what it needs. */
export type Detail = { [K in keyof DetailParams]: { msg: K } & DetailParams[K] }[keyof DetailParams];

export interface ProvisionText {
  /** Written after a question, before the answer. */
  ask: string;
  prompts: {
    intro: string;
    districtUrl: string;
    token: string;
    applianceId: string;
    name: string;
    district: string;
    school: string;
    grade: string;
    class: string;
    room: string;
    admin: string;
    /** Asked on piped input, in line with the other answers. */
    adminPassword: string;
    /** The hidden prompt at a terminal. */
    adminPasswordHidden: (minLength: number) => string;
  };
  steps: Record<StepId, string>;
  status: Record<StepStatus, string>;
  doctorStatus: Record<CheckStatus, string>;
  details: { [K in keyof DetailParams]: (p: DetailParams[K]) => string };
  /** The one command that enrols a standalone box later. */
  enrolLater: (config: string) => string;
  summary: {
    heading: (id: string, code: string) => string;
    doctor: string;
    ok: (id: string) => string;
    standalone: (id: string) => string;
    enrolLater: (command: string) => string;
    incomplete: string;
  };
  errors: {
    standaloneWithDistrict: string;
    tlsDays: (got: string) => string;
    /** `--token` on the command line still works, with this warning. */
    tokenOnCommandLine: string;
  };
  enrol: {
    districtPrompt: string;
    tokenPrompt: string;
    noDistrict: string;
    noToken: string;
    done: (id: string, url: string) => string;
    next: string;
  };
}

const zhCN: ProvisionText = {
  ask: '：',
  prompts: {
    intro: '为这台设备做初始配置。请逐项回答（直接回车表示不填）。',
    districtUrl:
      '区级平台地址（如 https://sync.district.example；暂不接入区级平台、单机运行的，直接回车，以后用 classedge enrol 接入）',
    token: '一次性接入令牌（由区级平台的 classedge-district token create 生成）',
    applianceId: '设备编号（小写字母、数字和连字符，如 room-101）',
    name: '面板上显示的名称（如 初二(3)班）',
    district: '所在区',
    school: '学校',
    grade: '年级',
    class: '班级',
    room: '教室',
    admin: '首个管理员的用户名',
    adminPassword: '首个管理员的密码',
    adminPasswordHidden: (n) => `首个管理员的密码（至少 ${n} 个字符，含小写字母、大写字母、数字、符号中的三类）：`,
  },
  steps: {
    identity: '设备身份',
    keys: '设备密钥',
    tls: 'TLS 加密',
    enrol: '接入区级平台',
    'district-config': '区级配置',
    admin: '管理员',
    'serial-ports': '串口',
  },
  status: { done: '完成', skipped: '跳过', warn: '注意', failed: '失败' },
  doctorStatus: { ok: '正常', warn: '注意', fail: '失败' },
  details: {
    identity: (p) =>
      `${p.id}（${p.where || '未填写教室信息'}）${p.written ? `，已写入 ${p.file}` : '，已设置，未改动'}`,
    keys: (p) => `Ed25519 密钥${p.made ? '已生成' : '已存在'}：${p.file}（权限 0600）；接入码 ${p.code}`,
    tlsOptOut: (p) =>
      `不启用 TLS（--no-tls）：局域网内明文传输，已记录为 http.plaintextLan 和 mqtt.plaintextLan${p.changed ? `（写入 ${p.file}）` : '（此前已记录）'}${p.stayOn.length > 0 ? `；${p.stayOn.join(' 和 ')} 保持开启` : ''}`,
    tlsOptedIn: () =>
      '此前已选择局域网内明文传输（http.plaintextLan、mqtt.plaintextLan）：不生成证书；要启用 TLS，运行 classedge tls generate --enable',
    tlsOtherCert: (p) =>
      `http.tls 使用 ${p.otherCertFile}；${certificate(p)}，但未使用${p.mqttOn ? '；mqtt.tls 随之开启' : ''}`,
    tlsSelfSigned: (p) =>
      `${certificate(p)}；${p.switchedOn ? `已开启 http.tls 和 mqtt.tls（HTTPS 端口 ${p.httpsPort}，MQTT over TLS 端口 ${p.mqttsPort}；明文 HTTP 和 MQTT 只在 127.0.0.1 上）` : 'http.tls 和 mqtt.tls 此前已开启'}`,
    enrolAlready: (p) => `已接入区级平台 ${p.url}，设备编号 ${p.id}`,
    enrolOtherDistrict: (p) =>
      `已接入区级平台 ${p.enrolledUrl}：改接 ${p.url} 会替换已固定的区级平台公钥；确需改接，加 --force 重新运行（记入审计日志）`,
    enrolMissing: () =>
      '未接入区级平台：请给出区级平台地址和一次性接入令牌（--district 和 --token-file，或 --file 指定的初始配置文件；令牌由 classedge-district token create 生成）；暂不接入的，加 --standalone 单机运行',
    enrolDone: (p) => `已接入区级平台 ${p.url}；区级平台的公钥已保存，用来核验它下发的配置和更新`,
    standalone: (p) => `单机运行，暂不接入区级平台：数据不上传。以后接入：${zhCN.enrolLater(p.config)}`,
    districtConfigStandalone: () => '单机运行：没有区级配置（接入后由同步自动获取）',
    districtConfigRefused: (p) => `区级平台的配置被拒绝（${p.why}）；详见审计日志`,
    districtConfigNone: () => '区级平台还没有为这间教室发布配置',
    districtConfigApplied: (p) => `配置版本 ${p.version} ${p.already ? '此前已应用' : '已应用'}`,
    districtConfigFailed: (p) => `无法获取区级平台的配置：${p.why}`,
    adminExists: (p) => `已有管理员账号（${p.names.join('、')}）`,
    adminMissing: () => '还没有管理员账号：请给出一个（--admin <用户名>；密码在提示时输入，或从标准输入读取）',
    adminCreated: (p) => `已创建管理员 ${p.name}`,
    portsNone: () => '配置中没有串口',
    portsMissing: (p) =>
      `缺少：${p.missing.map((m) => `${m.port}（${m.name}）`).join('、')}；请插好 USB 转串口适配器，并安装 classedge udev-rules 生成的规则`,
    portsPresent: (p) => `已就绪：${p.ports.join('、')}`,
    error: (p) => p.why,
  },
  enrolLater: (config) => `classedge enrol --config ${config} --district <区级平台地址> --token-file <令牌文件>`,
  summary: {
    heading: (id, code) => `初始配置 ${id}（接入码 ${code}）`,
    doctor: '自检（classedge doctor；各检查项的说明为英文原文）：',
    ok: (id) => `${id} 初始配置完成。启动服务：systemctl enable --now classedge`,
    standalone: (id) =>
      `${id} 初始配置完成，单机运行：未接入区级平台，数据不上传。启动服务：systemctl enable --now classedge`,
    enrolLater: (command) => `以后接入区级平台（需要区级平台地址和一次性接入令牌）：${command}`,
    incomplete: '初始配置未完成：请处理标为“失败”的项目，然后重新运行 classedge provision。',
  },
  errors: {
    standaloneWithDistrict: '--standalone 表示暂不接入区级平台，不能同时给出 --district、--token 或 --token-file',
    tlsDays: (got) => `--tls-days：应为整数天数，收到 '${got}'`,
    tokenOnCommandLine: '警告：--token 写在命令行上，本机所有用户都能用 ps 看到；请改用 --token-file 或标准输入',
  },
  enrol: {
    districtPrompt: '区级平台地址（如 https://sync.district.example）',
    tokenPrompt: '一次性接入令牌：',
    noDistrict: '--district：需要区级平台地址，如 https://sync.district.example',
    noToken: '接入令牌：需要 classedge-district token create 生成的一次性令牌，但没有收到',
    done: (id, url) => `已将 ${id} 接入区级平台 ${url}，区级平台的公钥已固定。`,
    next: '区级同步在服务下次启动时开始；服务正在运行的，请重启：systemctl restart classedge',
  },
};

const en: ProvisionText = {
  ask: ': ',
  prompts: {
    intro: 'Provisioning this box: answer each question (Enter leaves it empty).',
    districtUrl:
      'District URL (e.g. https://sync.district.example; press Enter to run standalone for now and enrol later with classedge enrol)',
    token: 'One-time enrolment token (from classedge-district token create)',
    applianceId: 'Appliance id (lower-case letters, digits, dashes; e.g. room-101)',
    name: 'Name shown on the panel (e.g. 初二(3)班)',
    district: 'District (区)',
    school: 'School (学校)',
    grade: 'Grade (年级)',
    class: 'Class (班级)',
    room: 'Room (教室)',
    admin: 'First admin username',
    adminPassword: 'Password for the first admin',
    adminPasswordHidden: (n) =>
      `Password for the first admin (${n}+ characters, three of: lower, upper, digit, symbol): `,
  },
  steps: {
    identity: 'identity',
    keys: 'keys',
    tls: 'tls',
    enrol: 'enrol',
    'district-config': 'district-config',
    admin: 'admin',
    'serial-ports': 'serial-ports',
  },
  status: { done: 'done', skipped: 'ok', warn: 'WARN', failed: 'FAIL' },
  doctorStatus: { ok: 'ok', warn: 'WARN', fail: 'FAIL' },
  details: {
    identity: (p) =>
      `${p.id} (${p.where || 'no classroom labels'})${p.written ? ` written to ${p.file}` : ', already set'}`,
    keys: (p) =>
      `Ed25519 key ${p.made ? 'made' : 'already present'} in ${p.file} (mode 0600), enrolment code ${p.code}`,
    tlsOptOut: (p) =>
      `no TLS (--no-tls): plain text on the LAN recorded as http.plaintextLan and mqtt.plaintextLan${p.changed ? ` in ${p.file}` : ', already'}${p.stayOn.length > 0 ? `; ${p.stayOn.join(' and ')} stay on` : ''}`,
    tlsOptedIn: () =>
      'plain text on the LAN was chosen (http.plaintextLan, mqtt.plaintextLan): no certificate made; classedge tls generate --enable switches TLS on',
    tlsOtherCert: (p) =>
      `http.tls uses ${p.otherCertFile}; ${certificateEn(p)} but not used${p.mqttOn ? '; mqtt.tls switched on with it' : ''}`,
    tlsSelfSigned: (p) =>
      `${certificateEn(p)}${p.switchedOn ? `; http.tls and mqtt.tls switched on (HTTPS on port ${p.httpsPort}, MQTT over TLS on port ${p.mqttsPort}; plain HTTP and MQTT on 127.0.0.1 only)` : '; http.tls and mqtt.tls already on'}`,
    enrolAlready: (p) => `already enrolled with ${p.url} as ${p.id}`,
    enrolOtherDistrict: (p) =>
      `already enrolled with ${p.enrolledUrl}: enrolling with ${p.url} would replace the pinned district key; run again with --force to re-enrol (audited)`,
    enrolMissing: () =>
      'not enrolled: give the district URL and a one-time token (--district, --token-file or the provisioning file; classedge-district token create), or --standalone to run without a district for now',
    enrolDone: (p) => `enrolled with ${p.url}; the district's public key is kept for its configuration and updates`,
    standalone: (p) =>
      `standalone: not enrolled with a district for now, nothing is sent; enrol later with ${en.enrolLater(p.config)}`,
    districtConfigStandalone: () => 'standalone: no district configuration (the sync fetches it once enrolled)',
    districtConfigRefused: (p) => `the district's configuration was refused (${p.why}); see the audit log`,
    districtConfigNone: () => 'the district has published no configuration for this classroom yet',
    districtConfigApplied: (p) => `configuration version ${p.version} ${p.already ? 'already applied' : 'applied'}`,
    districtConfigFailed: (p) => `could not fetch the district's configuration: ${p.why}`,
    adminExists: (p) => `admin account exists (${p.names.join(', ')})`,
    adminMissing: () =>
      'no admin account yet: give one (--admin <username>; the password is read from a prompt or standard input)',
    adminCreated: (p) => `admin ${p.name} created`,
    portsNone: () => 'no serial ports configured',
    portsMissing: (p) =>
      `missing: ${p.missing.map((m) => `${m.port} (${m.name})`).join(', ')}; plug the adapters in, and install the rules of classedge udev-rules`,
    portsPresent: (p) => `present: ${p.ports.join(', ')}`,
    error: (p) => p.why,
  },
  enrolLater: (config) => `classedge enrol --config ${config} --district URL --token-file TOKEN_FILE`,
  summary: {
    heading: (id, code) => `Provisioning ${id} (enrolment code ${code})`,
    doctor: 'doctor:',
    ok: (id) => `${id} is provisioned. Start it: systemctl enable --now classedge`,
    standalone: (id) =>
      `${id} is provisioned and runs standalone: not enrolled with a district, nothing is sent. Start it: systemctl enable --now classedge`,
    enrolLater: (command) => `To enrol with a district later (its URL and a one-time token): ${command}`,
    incomplete: 'Provisioning is not complete: fix what is marked FAIL and run it again.',
  },
  errors: {
    standaloneWithDistrict:
      '--standalone runs the box without a district for now: it cannot be given with --district, --token or --token-file',
    tlsDays: (got) => `--tls-days: expected whole days, got '${got}'`,
    tokenOnCommandLine:
      'warning: --token is visible to every user of this machine (ps); use --token-file or standard input instead',
  },
  enrol: {
    districtPrompt: 'District URL (e.g. https://sync.district.example)',
    tokenPrompt: 'One-time enrolment token: ',
    noDistrict: '--district: expected the district receiver URL, e.g. https://sync.district.example',
    noToken: 'enrolment token: expected the one-time token from classedge-district token create, got nothing',
    done: (id, url) => `enrolled ${id} with ${url}; the district's public key is pinned`,
    next: 'the district sync starts at the next start of the service; if it runs now, restart it: systemctl restart classedge',
  },
};

type CertificateParams = { made: boolean; certFile: string; fingerprint: string; validTo: string };
function certificate(p: CertificateParams): string {
  return `${p.made ? '已生成自签名证书' : '沿用已有证书'} ${p.certFile}，SHA-256 指纹 ${p.fingerprint}，有效期至 ${p.validTo}`;
}
function certificateEn(p: CertificateParams): string {
  return `${p.made ? 'self-signed certificate made' : 'certificate kept'} in ${p.certFile}, SHA-256 ${p.fingerprint}, valid to ${p.validTo}`;
}

export const TEXT: Record<Lang, ProvisionText> = { 'zh-CN': zhCN, en };

/** A step's sentence in one language. */
export function renderDetail(lang: Lang, d: Detail): string {
  // TypeScript cannot pair the union member with its own function: `msg` picks both.
  return (TEXT[lang].details[d.msg] as (p: Detail) => string)(d);
}
