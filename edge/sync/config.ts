import { Type } from '@sinclair/typebox';
import { label, type Labelled } from '../config/labels.js';

const HHMM = (labels: Labelled) => Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', ...labels });

/** How the appliance sends its records to the district. Enrolment itself is `classedge enrol`. */
export const SyncSchema = Type.Object(
  {
    intervalMs: Type.Integer({
      minimum: 200,
      maximum: 3600000,
      default: 5000,
      description: 'How often the agent looks for records to send.',
      ...label('检查间隔（毫秒）', 'Check interval', '同步程序每隔多久查看一次有没有要发送的记录。'),
    }),
    batchMaxRecords: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 20000,
      description: 'Records per batch at most.',
      ...label('每批最多记录数', 'Records per batch', '每批上传的记录数上限。'),
    }),
    bulkWindow: Type.Object(
      {
        from: HHMM(label('开始时间', 'From', '批量上传开始的当地时间，格式 HH:MM。')),
        to: HHMM(label('结束时间', 'To', '批量上传结束的当地时间，格式 HH:MM。')),
      },
      {
        additionalProperties: false,
        default: { from: '01:00', to: '05:00' },
        description: 'Local time when bulk streams (readings, rollups, screen time) are sent.',
        ...label('批量上传时段', 'Bulk window', '批量数据（读数、汇总、屏幕使用时长）在每天这个当地时段内上传。'),
      },
    ),
    retryMaxMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 300000,
      description: 'Longest wait between retries (backoff with jitter).',
      ...label('最长重试间隔（毫秒）', 'Longest retry wait', '两次重试之间最长的等待时间（逐次加长并加随机抖动）。'),
    }),
    timeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600000,
      default: 60000,
      description: 'One upload at most this long.',
      ...label('上传超时（毫秒）', 'Upload timeout', '单次上传最长的时间。'),
    }),
    maxAnswerBytes: Type.Integer({
      minimum: 65536,
      maximum: 67108864,
      default: 1048576,
      description:
        'Largest answer read from the district (positions, a configuration); a longer one is refused while it arrives, not buffered.',
      ...label(
        '最大应答长度',
        'Largest answer',
        '从区级平台读取的单个应答（同步进度、配置）的上限，单位字节；超过的在接收过程中就拒绝，不会先缓存。',
      ),
    }),
    bandwidthKbps: Type.Integer({
      minimum: 0,
      maximum: 1000000,
      default: 0,
      description: "Upload at most this many kilobits per second on average (0: no cap), to spare a school's uplink.",
      ...label(
        '上传限速（kbit/s）',
        'Upload cap (kbit/s)',
        '平均上传速率上限（0 表示不限速），以免占满学校的出口带宽。',
      ),
    }),
    heartbeatSeconds: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 300,
      description:
        'How often the appliance sends the district its small signed status (version, component states, disk, flash, sync lag): the district console marks it offline after a few missed ones.',
      ...label(
        '状态上报间隔（秒）',
        'Heartbeat interval (s)',
        '本机每隔多久向区级平台发送一次签名的简短状态（软件版本、各组件状态、磁盘、闪存写入、同步延迟）；区级控制台在连续几次收不到后把本机标为离线。',
      ),
    }),
    allowPlainHttp: Type.Boolean({
      default: false,
      description:
        'Allow a plain http:// district URL, for tests on this machine only: even with it, only a loopback host (127.0.0.1, ::1, localhost) is accepted. Everything else is HTTPS.',
      ...label(
        '允许明文 HTTP',
        'Allow plain HTTP',
        '允许 `http://` 开头的区级平台地址，只供在本机上测试：即使开启，也只接受回环地址（127.0.0.1、::1、`localhost`），其他一律要求 HTTPS。',
      ),
    }),
    districtCaFile: Type.Optional(
      Type.String({
        description:
          "PEM file of the district's CA or certificate, when its HTTPS certificate is not in the system store.",
        ...label(
          '区级平台 CA 证书',
          'District CA file',
          '区级平台的 HTTPS 证书不在系统证书库中时，填它的 CA 证书或证书本身的 PEM 文件。',
        ),
      }),
    ),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('区级同步', 'District sync', '本机如何把记录发送到区级平台；接入区级平台用 `classedge enrol`。'),
  },
);
