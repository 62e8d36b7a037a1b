/**
 * The one table of what the appliance measures about itself: the Prometheus family name, its type,
 * its unit and its label in both languages. `/metrics` takes its HELP text from here, the admin
 * console's 系统状态 page its labels and units, and the Grafana dashboard is checked against the
 * families `/metrics` serves. Pure data: the kiosk bundle imports it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface Label {
  'zh-CN': string;
  en: string;
}

export interface MetricName {
  /** Prometheus family name (counters end in `_total`, histograms are in seconds). */
  metric: string;
  type: MetricType;
  /** Unit shown next to the value, in both languages (an empty unit is a plain count). */
  unit: Label;
  label: Label;
  /** English HELP text on /metrics (what it is and where it comes from). */
  help: string;
}

const COUNT: Label = { 'zh-CN': '次', en: '' };
const ITEMS: Label = { 'zh-CN': '条', en: '' };
const UNITS: Label = { 'zh-CN': '个', en: '' };
const BYTES: Label = { 'zh-CN': '字节', en: 'bytes' };
const SECONDS: Label = { 'zh-CN': '秒', en: 's' };

interface CounterSpec {
  type: 'counter' | 'gauge';
  unit: Label;
  label: Label;
  /** The family name when the counter's own name would say too little on a dashboard. */
  metric?: string;
}

const c = (zh: string, en: string, unit: Label = COUNT): CounterSpec => ({
  type: 'counter',
  unit,
  label: { 'zh-CN': zh, en },
});
const g = (zh: string, en: string, unit: Label = UNITS): CounterSpec => ({
  type: 'gauge',
  unit,
  label: { 'zh-CN': zh, en },
});

/**
 * Every counter a component reports in its status (`GET /api/v1/components`), by the name it uses
 * there. The same name means the same thing in every component that reports it (`timeouts` of a
 * Modbus bus and of a thermometer are both unanswered requests); the `component` label tells them
 * apart on /metrics.
 */
export const COMPONENT_COUNTERS = {
  // broker
  connections: c('MQTT 连接', 'MQTT connections'),
  plainSockets: c('明文连接', 'plain sockets'),
  tlsSockets: c('TLS 连接', 'TLS sockets'),
  tlsHandshakeFailures: c('TLS 握手失败', 'TLS handshake failures'),
  authFailures: c('认证失败', 'authentication failures'),
  aclDenials: c('权限拒绝', 'topic ACL denials'),
  accepted: c('已接收消息', 'messages accepted', ITEMS),
  rejected: c('拒收', 'rejected', ITEMS),
  storeErrors: c('存储错误', 'store errors'),
  retransmits: c('重发消息（只存一次）', 'resent messages (stored once)', ITEMS),
  protocolErrors: c('协议错误', 'protocol errors'),
  auditErrors: c('审计写入错误', 'audit write errors'),
  auditSuppressed: c('审计限流省略', 'audit records rate-limited', ITEMS),
  refusedConnections: c('拒绝连接', 'connections refused'),
  preAuthEvicted: c('认证前被断开', 'evicted before login'),
  preAuthTimeouts: c('认证超时', 'login timeouts'),
  internalErrors: c('内部错误', 'internal errors'),
  throttledLogins: c('登录限流', 'logins throttled'),
  clients: g('在线客户端', 'clients online'),
  sockets: g('打开的连接', 'open sockets'),
  preAuth: g('待认证连接', 'sockets awaiting login'),
  // serial devices: Modbus bus, thermometer, card reader, panel, serial camera
  polls: c('轮询', 'polls'),
  ok: { ...c('轮询成功', 'polls answered'), metric: 'classedge_polls_ok_total' },
  timeouts: c('超时', 'timeouts'),
  exceptions: c('设备异常应答', 'device exception replies'),
  retries: c('重试', 'retries'),
  rejectedValues: c('拒收数值', 'values rejected', ITEMS),
  offline: g('离线传感器', 'sensors offline'),
  lineNotQuiet: c('线路不安静', 'line not quiet'),
  writeTimeouts: c('写超时', 'write timeouts'),
  reopens: c('串口重新打开', 'serial port reopens'),
  readings: c('读数', 'readings', ITEMS),
  badFrames: c('坏帧', 'bad frames'),
  lateReplies: c('迟到应答', 'late replies'),
  unsolicited: c('未请求的数据', 'unsolicited data'),
  cards: c('刷卡', 'cards read'),
  overlong: c('超长数据', 'overlong input'),
  sent: c('已发送命令', 'commands sent'),
  acked: c('已确认命令', 'commands acknowledged'),
  pictures: c('照片', 'pictures'),
  errors: c('错误', 'errors'),
  skippedBytes: c('跳过的字节', 'bytes skipped', BYTES),
  // the room and its switches: relay boards, Wi-Fi switches, the IR air conditioner, the room service
  relayWrites: c('继电器写入', 'relay writes'),
  relayMismatches: c('继电器回读不符', 'relay read-backs of the other state'),
  relayRewrites: c('继电器重写', 'relays written again'),
  commands: c('开关命令', 'switch commands'),
  reports: c('设备状态报告', 'device reports', ITEMS),
  confirmed: c('已确认命令', 'commands confirmed'),
  mismatches: c('报告状态不符', 'reports of the other state'),
  resent: c('重发命令', 'commands sent again'),
  queries: c('状态查询', 'state queries'),
  scenes: c('场景', 'scenes'),
  overrides: c('手动设置', 'changes by hand'),
  lapsed: c('手动设置到期', 'changes by hand lapsed'),
  atSwitch: c('在开关上操作', 'changes at the device'),
  blasterDone: c('红外已发出', 'IR sent by the blaster'),
  meterReports: c('计量插座报告', 'metering plug reports', ITEMS),
  // cameras and microphones
  frames: c('画面', 'frames'),
  oversize: c('超大画面', 'oversize frames'),
  restarts: c('重启', 'restarts'),
  blocks: c('音频块', 'audio blocks'),
  loops: c('循环播放', 'loops'),
  seconds: { ...c('录音时长', 'audio captured', SECONDS), metric: 'classedge_audio_captured_seconds_total' },
  // simulators
  published: c('已发布', 'published', ITEMS),
  requests: c('请求', 'requests'),
  // media
  workers: g('媒体进程', 'media workers'),
  lessons: g('进行中的远程课', 'remote lessons running'),
  participants: g('参与者', 'participants'),
  producers: { ...g('发送的媒体流', 'media streams sent'), metric: 'classedge_media_producers' },
  consumers: { ...g('接收的媒体流', 'media streams received'), metric: 'classedge_media_consumers' },
  workerRestarts: c('媒体进程重启', 'media worker restarts'),
  lessonsStarted: c('已开始的远程课', 'remote lessons started'),
  vanished: c('掉线的参与者', 'participants vanished'),
  partnerLinks: c('伙伴教室连接', 'partner classroom links'),
  guestsRefused: c('拒绝的访客', 'guests refused'),
  notAdmitted: c('未准入', 'not admitted'),
  idleClosed: c('空闲断开', 'closed when idle'),
  // disk guard
  diskChecks: c('磁盘检查', 'disk checks'),
  diskCheckFailures: c('磁盘检查失败', 'disk checks failed'),
  shedRows: c('为腾出空间删除的行', 'rows deleted for space', ITEMS),
  // district sync
  batches: c('同步批次', 'sync batches'),
  records: c('已同步记录', 'records sent', ITEMS),
  failures: c('同步失败', 'sync failures'),
  bytesSent: c('已发送数据', 'bytes sent', BYTES),
  answersRefused: c('拒收的区级应答', 'district answers refused'),
  heartbeats: c('已发送状态上报', 'heartbeats sent'),
  heartbeatFailures: c('未送达的状态上报', 'heartbeats not delivered'),
  quarantined: c('隔离的记录', 'records quarantined', ITEMS),
  // interaction analysis
  audioWindows: c('语音分析窗口', 'voice windows analysed'),
  audioDroppedChunks: c('丢弃的音频块', 'audio chunks dropped'),
  framesAnalysed: c('已分析画面', 'frames analysed'),
  framesDropped: c('丢弃的画面', 'frames dropped'),
  framesRejected: c('拒收的画面', 'frames refused'),
  frameErrors: c('画面分析错误', 'frame analysis errors'),
  visionMsLast: {
    ...g('最近一次画面推理耗时', 'last frame inference', { 'zh-CN': '毫秒', en: 'ms' }),
    metric: 'classedge_vision_last_inference_ms',
  },
  ignoredOutsideLessons: c('课外忽略', 'ignored outside lessons'),
  // environment
  raised: c('触发告警', 'alerts raised'),
  cleared: c('解除告警', 'alerts cleared'),
  flushes: c('汇总写入', 'rollup flushes'),
  dayReports: c('环境日报', 'daily environment summaries to the district'),
  activeAlerts: g('当前告警', 'alerts active'),
  // HTTP
  upgradeErrors: c('WebSocket 升级错误', 'WebSocket upgrade errors'),
  liveClients: g('实时连接', 'live clients'),
  liveSlowClosed: c('慢客户端断开', 'slow clients closed'),
  wsClosedForSession: c('会话失效断开', 'sockets closed at session end'),
  // retention
  runs: c('运行', 'runs'),
  deleted: c('已删除记录', 'records deleted', ITEMS),
  refused: c('拒绝清理（时钟不可信）', 'purges refused (clock)'),
  clockJumps: c('时钟跳变', 'clock jumps'),
  // system history
  samples: c('历史采样', 'history samples'),
  // every component
  timerErrors: c('定时任务错误', 'timer errors'),
} satisfies Record<string, CounterSpec>;

export type CounterName = keyof typeof COMPONENT_COUNTERS;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

/** The table entry of a component counter, or undefined for a name not (yet) in the table. */
export function counterName(name: string): MetricName | undefined {
  const spec = (COMPONENT_COUNTERS as Record<string, CounterSpec>)[name];
  if (!spec) return undefined;
  return {
    metric: spec.metric ?? `classedge_${snake(name)}${spec.type === 'counter' ? '_total' : ''}`,
    type: spec.type,
    unit: spec.unit,
    label: spec.label,
    help: `${spec.label.en}${spec.unit.en ? ` (${spec.unit.en})` : ''}: the '${name}' counter of each component that reports it (GET /api/v1/components).`,
  };
}

/** The families of the appliance as a whole (not one component's counter). */
export const SYSTEM_METRICS = {
  componentState: {
    metric: 'classedge_component_state',
    type: 'gauge',
    unit: { 'zh-CN': '', en: '' },
    label: { 'zh-CN': '组件状态', en: 'component state' },
    help: 'One series per component and state: 1 for the state the component is in, 0 for the others (stopped, starting, running, degraded, failed, stopping).',
  },
  readingsStored: {
    metric: 'classedge_readings_stored_total',
    type: 'counter',
    unit: ITEMS,
    label: { 'zh-CN': '已存储读数', en: 'readings stored' },
    help: 'Sensor readings made durable by the readings pipeline since start (journaled: acknowledged ones synced, polled ones written; docs/storage.md).',
  },
  storeCommits: {
    metric: 'classedge_store_commits_total',
    type: 'counter',
    unit: COUNT,
    label: { 'zh-CN': '读数同步写盘', en: 'reading syncs' },
    help: 'Syncs of the readings journal for acknowledged readings since start (each one fdatasync shared by the readings waiting for it).',
  },
  storeCommitSeconds: {
    metric: 'classedge_store_commit_seconds',
    type: 'histogram',
    unit: SECONDS,
    label: { 'zh-CN': '写盘耗时', en: 'sync latency' },
    help: 'Time one sync (fdatasync) of the readings journal took.',
  },
  flashWritten: {
    metric: 'classedge_flash_written_bytes_total',
    type: 'counter',
    unit: BYTES,
    label: { 'zh-CN': '闪存写入', en: 'flash written' },
    help: 'Bytes this process caused to be written to the block device (write_bytes of /proc/self/io; absent where the kernel does not count it).',
  },
  diskFree: {
    metric: 'classedge_disk_free_bytes',
    type: 'gauge',
    unit: BYTES,
    label: { 'zh-CN': '磁盘剩余', en: 'disk free' },
    help: 'Bytes free for the appliance on the file system of its data directory.',
  },
  diskSize: {
    metric: 'classedge_disk_size_bytes',
    type: 'gauge',
    unit: BYTES,
    label: { 'zh-CN': '磁盘容量', en: 'disk size' },
    help: 'Size of the file system of the data directory.',
  },
  eventLoopLag: {
    metric: 'classedge_event_loop_lag_seconds',
    type: 'gauge',
    unit: SECONDS,
    label: { 'zh-CN': '事件循环延迟', en: 'event-loop lag' },
    help: 'How late the event loop ran since the previous scrape, at the quantile (0.5, 0.99): perf_hooks.monitorEventLoopDelay less its 10 ms timer period.',
  },
  cpuSeconds: {
    metric: 'classedge_process_cpu_seconds_total',
    type: 'counter',
    unit: SECONDS,
    label: { 'zh-CN': 'CPU 时间', en: 'CPU time' },
    help: 'User and system CPU time of the appliance process; divide its rate by classedge_cpu_cores for the share of the machine.',
  },
  cpuCores: {
    metric: 'classedge_cpu_cores',
    type: 'gauge',
    unit: UNITS,
    label: { 'zh-CN': 'CPU 核数', en: 'CPU cores' },
    help: 'Cores the process may run on (os.availableParallelism).',
  },
  rss: {
    metric: 'classedge_process_resident_memory_bytes',
    type: 'gauge',
    unit: BYTES,
    label: { 'zh-CN': '内存 (RSS)', en: 'memory (RSS)' },
    help: 'Resident memory of the appliance process (the media workers are separate processes).',
  },
  uptime: {
    metric: 'classedge_uptime_seconds',
    type: 'gauge',
    unit: SECONDS,
    label: { 'zh-CN': '运行时间', en: 'uptime' },
    help: 'Seconds since the appliance started.',
  },
  inferenceSeconds: {
    metric: 'classedge_inference_seconds',
    type: 'histogram',
    unit: SECONDS,
    label: { 'zh-CN': '推理耗时', en: 'inference time' },
    help: 'Time one inference took in the analysis worker, by model: audio (voice activity, one chunk) or vision (faces, one frame).',
  },
  syncBacklog: {
    metric: 'classedge_sync_backlog_records',
    type: 'gauge',
    unit: ITEMS,
    label: { 'zh-CN': '待同步记录', en: 'sync backlog' },
    help: 'Records of the stream not yet confirmed by the district (classedge sync status).',
  },
  syncLag: {
    metric: 'classedge_sync_lag_seconds',
    type: 'gauge',
    unit: SECONDS,
    label: { 'zh-CN': '同步延迟', en: 'sync lag' },
    help: 'Per stream: 0 with nothing waiting, else seconds since the district last confirmed a batch of it (since start when it never did). Absent when not enrolled.',
  },
  syncQuarantined: {
    metric: 'classedge_sync_quarantined_records',
    type: 'gauge',
    unit: ITEMS,
    label: { 'zh-CN': '隔离的记录', en: 'records quarantined' },
    help: 'Records of the stream the district refused, held in the quarantine.',
  },
  syncEnrolled: {
    metric: 'classedge_sync_enrolled',
    type: 'gauge',
    unit: { 'zh-CN': '', en: '' },
    label: { 'zh-CN': '已注册到区级平台', en: 'enrolled with a district' },
    help: '1 when the appliance is enrolled with a district (it sends), 0 when not.',
  },
  mediaStreams: {
    metric: 'classedge_media_streams',
    type: 'gauge',
    unit: UNITS,
    label: { 'zh-CN': '媒体流', en: 'media streams' },
    help: 'Media streams of the classroom SFU by direction: sent (producers) and received (consumers).',
  },
  unlistedCounter: {
    metric: 'classedge_component_counter_unlisted',
    type: 'gauge',
    unit: { 'zh-CN': '', en: '' },
    label: { 'zh-CN': '未登记的计数器', en: 'unlisted counter' },
    help: 'A component counter not yet in edge/observability/metric-names.ts, by name (add it there).',
  },
} as const satisfies Record<string, MetricName>;

/** The 24-hour and 7-day history series (GET /api/v1/system/history), in chart order. */
export const HISTORY_SERIES = {
  cpuShare: { label: { 'zh-CN': 'CPU 占用', en: 'CPU share' }, unit: { 'zh-CN': '%', en: '%' } },
  rssBytes: { label: { 'zh-CN': '内存 (RSS)', en: 'Memory (RSS)' }, unit: { 'zh-CN': 'MiB', en: 'MiB' } },
  diskFreeBytes: { label: { 'zh-CN': '磁盘剩余', en: 'Disk free' }, unit: { 'zh-CN': 'GiB', en: 'GiB' } },
  flashBytes: {
    label: { 'zh-CN': '闪存写入速率', en: 'Flash writes' },
    unit: { 'zh-CN': 'MB/小时', en: 'MB/h' },
  },
  loopLagP99Ms: {
    label: { 'zh-CN': '事件循环延迟 (p99)', en: 'Event-loop lag (p99)' },
    unit: { 'zh-CN': '毫秒', en: 'ms' },
  },
  syncLagS: { label: { 'zh-CN': '同步延迟', en: 'Sync lag' }, unit: { 'zh-CN': '小时', en: 'h' } },
} as const satisfies Record<string, { label: Label; unit: Label }>;
