import { Type, type Static, type TInteger } from '@sinclair/typebox';
import { StringEnum } from './string-enum.js';
import { label, type Labelled } from './labels.js';
import { EnvironmentSchema } from '../environment/rules.js';
import { TimetableSchema } from './timetable.js';
import { HealthSchema } from '../health/config.js';
import { SyncSchema } from '../sync/config.js';
import { AnalysisSchema } from '../analysis/config.js';
import { RoomSchema } from '../room/config.js';
import { componentConfigSchemas } from '../runtime/component-kinds.js';
import { WebSocketSchema } from '../api/websocket-config.js';

/**
 * The one configuration schema. Defaults live here and nowhere else: the loader fills them in,
 * docs/settings.md is generated from this file, and the admin console builds its form from it.
 */

export { StringEnum };

const Port = (def: number, description: string, labels: Labelled): TInteger =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description, ...labels });

/** Where the box stands, set by `classedge provision`; shown to IT staff and the district. */
const PlaceName = (description: string, labels: Labelled) =>
  Type.String({ maxLength: 100, default: '', description, ...labels });
export const ClassroomSchema = Type.Object(
  {
    district: PlaceName(
      'Education district, e.g. "海淀区".',
      label('所属区县', 'Education district', '所属的教育区县，例如“海淀区”。'),
    ),
    school: PlaceName('School, e.g. "实验小学".', label('学校', 'School', '学校名称，例如“实验小学”。')),
    grade: PlaceName('Grade, e.g. "初二".', label('年级', 'Grade', '年级，例如“初二”。')),
    class: PlaceName('Class, e.g. "3班".', label('班级', 'Class', '班级，例如“3班”。')),
    room: PlaceName('Room, e.g. "A-203".', label('教室编号', 'Room', '教室的门牌号，例如“`A-203`”。')),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '所在教室',
      'Classroom',
      '本机所在的区县、学校、年级、班级和教室，由 `classedge provision` 填写，信息技术人员和区级平台都能看到。',
    ),
  },
);

export const ApplianceSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      default: 'classedge-unprovisioned',
      description:
        'Stable identity of this classroom appliance, used in MQTT topics and by the district. Lower-case letters, digits and dashes.',
      ...label(
        '设备编号',
        'Appliance ID',
        '本机的固定标识，用在 MQTT 主题里，区级平台也靠它识别本机。只能用小写字母、数字和短横线。',
      ),
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      default: 'Classroom',
      description: 'Name shown to people, e.g. "初二(3)班".',
      ...label('显示名称', 'Display name', '给人看的名称，例如“初二(3)班”。'),
    }),
    timezone: Type.String({
      minLength: 1,
      default: 'Asia/Shanghai',
      description: 'IANA time zone of the school.',
      ...label('时区', 'Time zone', '学校所在地的 IANA 时区，例如 `Asia/Shanghai`。'),
    }),
    classroom: ClassroomSchema,
  },
  {
    additionalProperties: false,
    default: {},
    ...label('本机信息', 'This appliance', '本机的编号、名称、时区和所在教室。'),
  },
);

export const HttpSchema = Type.Object(
  {
    host: Type.String({
      default: '0.0.0.0',
      description:
        'Address the HTTP and WebSocket server listens on (the HTTPS listener when http.tls is on; plain HTTP then binds 127.0.0.1 unless http.plaintextLan).',
      ...label(
        '监听地址',
        'Listen address',
        'HTTP 和 WebSocket 服务监听的地址。开启 `http.tls` 后这是 HTTPS 的监听地址，明文 HTTP 则只监听 127.0.0.1（除非开启 `http.plaintextLan`）。',
      ),
    }),
    port: Port(
      8080,
      "Plain HTTP port for the API, the live WebSocket and the kiosk; on 127.0.0.1 only once http.tls is on (the panel's own browser). Env: CLASSEDGE_HTTP_PORT.",
      label(
        'HTTP 端口',
        'HTTP port',
        '接口、实时 WebSocket 和教师面板使用的明文 HTTP 端口；开启 `http.tls` 后只在 127.0.0.1 上监听，供大屏自带的浏览器使用。也可用环境变量 `CLASSEDGE_HTTP_PORT` 设置。',
      ),
    ),
    plaintextLan: Type.Boolean({
      default: false,
      description:
        'With http.tls on, also serve plain HTTP on http.host instead of 127.0.0.1 only: the administrator accepts passwords and session cookies in clear text on the LAN (e.g. TLS ends at a proxy elsewhere). `classedge doctor` warns while any plain listener is off loopback.',
      ...label(
        '局域网明文 HTTP',
        'Plain HTTP on the LAN',
        '开启 `http.tls` 时，明文 HTTP 也在 `http.host` 上监听，而不只在 127.0.0.1：管理员须接受密码和会话 Cookie 在局域网里明文传输（例如 TLS 由别处的代理处理）。只要有明文监听不在本机回环地址上，`classedge doctor` 就会警告。',
      ),
    }),
    maxBodyBytes: Type.Integer({
      minimum: 1024,
      maximum: 16777216,
      default: 1048576,
      description: 'Largest accepted request body.',
      ...label('最大请求体', 'Largest request body', '接口接受的单个请求正文的上限，单位字节。'),
    }),
    allowedHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' }), {
      maxItems: 32,
      default: [],
      description:
        "Host names (besides IP literals, localhost, this machine's host name, <host name>.local and <appliance.id>.local) the API answers to; any other Host header is refused (421), so a web page on the LAN cannot reach the API by DNS rebinding.",
      ...label(
        '允许的主机名',
        'Allowed host names',
        '除 IP 地址、`localhost`、本机主机名、`<主机名>.local` 和 `<appliance.id>.local` 之外，接口还接受的主机名；其他 `Host` 请求头一律拒绝（421），这样局域网里的网页无法通过 DNS 重绑定访问接口。',
      ),
    }),
    publicAddress: Type.String({
      maxLength: 300,
      pattern: '^(|https?://[A-Za-z0-9.:\\[\\]-]+/?|[A-Za-z0-9.:\\[\\]-]+)$',
      default: '',
      description:
        "The name or address (or whole origin, e.g. https://a203.school.local:8443) that phones and partner classrooms on the school network use to reach this box: the remote lesson's join link and QR code. Empty: the address the page was opened by when it is not loopback, else every LAN address of the box.",
      ...label(
        '对外地址',
        'Public address',
        '手机、家长和合作教室在校园网里访问本机用的名称或地址（也可写完整地址，如 `https://a203.school.local:8443`）：远程课的加入链接和二维码用它。留空：用打开页面时的地址（不是本机回环地址时），否则用本机所有局域网地址。',
      ),
    }),
    tls: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve HTTPS (API, admin console, kiosk, WebSockets) on http.host at http.tls.port, and plain HTTP on 127.0.0.1 only. Needs certFile and keyFile; `classedge provision` and `classedge tls generate --enable` make a self-signed pair.',
          ...label(
            '启用 HTTPS',
            'Enable HTTPS',
            '在 `http.host` 的 `http.tls.port` 端口上提供 HTTPS（接口、管理后台、教师面板和 WebSocket），明文 HTTP 只在 127.0.0.1 上提供。需要证书文件和私钥文件；`classedge provision` 和 `classedge tls generate --enable` 会生成一对自签名的证书和私钥。',
          ),
        }),
        port: Port(
          8443,
          'HTTPS port (with http.tls on) for the admin console, the kiosk and the WebSockets over the LAN. Env: CLASSEDGE_HTTPS_PORT.',
          label(
            'HTTPS 端口',
            'HTTPS port',
            '开启 `http.tls` 后，局域网内访问管理后台、教师面板和 WebSocket 的 HTTPS 端口。也可用环境变量 `CLASSEDGE_HTTPS_PORT` 设置。',
          ),
        ),
        certFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'PEM certificate (chain) for HTTPS: the district-issued one, or <dataDir>/tls/cert.pem from `classedge tls generate`.',
            ...label(
              '证书文件',
              'Certificate file',
              'HTTPS 使用的 PEM 证书（链）：区里签发的证书，或 `classedge tls generate` 生成的 `<dataDir>/tls/cert.pem`。',
            ),
          }),
        ),
        keyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'PEM private key of certFile; readable by the service user only (mode 0600).',
            ...label('私钥文件', 'Private key file', '证书文件对应的 PEM 私钥；只能让服务账户读取（权限 0600）。'),
          }),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('HTTPS 加密', 'HTTPS', '局域网访问所用的 HTTPS 端口、证书和私钥。'),
      },
    ),
    webSocket: WebSocketSchema,
  },
  {
    additionalProperties: false,
    default: {},
    ...label('网页与接口', 'Web and API', '管理后台、教师面板和接口所用的 HTTP/HTTPS 服务。'),
  },
);

export const MqttSchema = Type.Object(
  {
    host: Type.String({
      default: '0.0.0.0',
      description:
        'Address the embedded MQTT broker listens on (the MQTT-over-TLS listener when mqtt.tls is on; plain MQTT then binds 127.0.0.1 unless mqtt.plaintextLan).',
      ...label(
        '监听地址',
        'Listen address',
        '内置 MQTT 消息服务器监听的地址。开启 `mqtt.tls` 后这是 TLS 加密的 MQTT 的监听地址，明文 MQTT 则只监听 127.0.0.1（除非开启 `mqtt.plaintextLan`）。',
      ),
    }),
    port: Port(
      1883,
      "Plain MQTT port; on 127.0.0.1 only once mqtt.tls is on (the appliance's own services and simulators). Env: CLASSEDGE_MQTT_PORT.",
      label(
        'MQTT 端口',
        'MQTT port',
        '明文 MQTT 端口；开启 `mqtt.tls` 后只在 127.0.0.1 上监听，供本机自己的服务和模拟器使用。也可用环境变量 `CLASSEDGE_MQTT_PORT` 设置。',
      ),
    ),
    tls: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve MQTT over TLS on mqtt.host at mqtt.tls.port for devices (same credentials), and plain MQTT on 127.0.0.1 only. `classedge provision` switches it on.',
          ...label(
            '启用 MQTT 加密',
            'Enable MQTT over TLS',
            '在 `mqtt.host` 的 `mqtt.tls.port` 端口上为设备提供 TLS 加密的 MQTT（设备凭据不变），明文 MQTT 只在 127.0.0.1 上提供。`classedge provision` 会打开此项。',
          ),
        }),
        port: Port(
          8883,
          'MQTT-over-TLS port for devices. Env: CLASSEDGE_MQTTS_PORT.',
          label(
            'MQTT 加密端口',
            'MQTT TLS port',
            '设备使用的 TLS 加密的 MQTT 端口。也可用环境变量 `CLASSEDGE_MQTTS_PORT` 设置。',
          ),
        ),
        certFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "PEM certificate (chain) devices pin; default: http.tls.certFile (the appliance's one certificate).",
            ...label(
              '证书文件',
              'Certificate file',
              '设备固定信任的 PEM 证书（链）；不填则用 `http.tls.certFile`（本机只用一张证书）。',
            ),
          }),
        ),
        keyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'PEM private key of mqtt.tls.certFile; default: http.tls.keyFile.',
            ...label(
              '私钥文件',
              'Private key file',
              '`mqtt.tls.certFile` 对应的 PEM 私钥；不填则用 `http.tls.keyFile`。',
            ),
          }),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('MQTT 加密', 'MQTT over TLS', '设备通过 TLS 加密连接时所用的端口、证书和私钥。'),
      },
    ),
    plaintextLan: Type.Boolean({
      default: false,
      description:
        'With mqtt.tls on, also serve plain MQTT on mqtt.host instead of 127.0.0.1 only, for devices that cannot do TLS: the administrator accepts device secrets in clear text on the LAN. `classedge doctor` warns while any plain listener is off loopback.',
      ...label(
        '局域网明文 MQTT',
        'Plain MQTT on the LAN',
        '开启 `mqtt.tls` 时，明文 MQTT 也在 `mqtt.host` 上监听，供不支持 TLS 的设备使用：管理员须接受设备密钥在局域网里明文传输。只要有明文监听不在本机回环地址上，`classedge doctor` 就会警告。',
      ),
    }),
    maxPayloadBytes: Type.Integer({
      minimum: 64,
      maximum: 1048576,
      default: 16384,
      description: 'Largest payload accepted on a device topic; larger messages are rejected and counted.',
      ...label(
        '最大消息长度',
        'Largest message',
        '设备主题上接受的单条消息正文上限，单位字节；超过的消息被拒收并计数。',
      ),
    }),
    maxClockSkewMs: Type.Integer({
      minimum: 0,
      maximum: 86400000,
      default: 300000,
      description:
        "How far after the appliance's clock a device's reading time may be; readings before 2020-01-01 or later than this are refused with the accepted range.",
      ...label(
        '设备时间超前上限（毫秒）',
        'Largest device clock lead',
        '设备读数的时间最多可以比本机时钟超前多少；早于 2020-01-01 或超前更多的读数被拒收，并告知可接受的时间范围。',
      ),
    }),
    maxConnections: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 500,
      description: 'Concurrent MQTT connections at most.',
      ...label('最大连接数', 'Most connections', '同时存在的 MQTT 连接数上限。'),
    }),
    maxConnectionsPerSource: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 32,
      description:
        'Concurrent MQTT connections at most from one address (IPv6: one /64), logged in or not; more are closed at once.',
      ...label(
        '单地址最大连接数',
        'Most connections per address',
        '来自同一地址（IPv6 按一个 /64 网段计）的同时 MQTT 连接数上限，不论是否已登录；超出的连接立即关闭。',
      ),
    }),
    maxPreAuthConnections: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 64,
      description:
        'Connections at most that have not logged in yet; a new one beyond it closes the oldest, so idle sockets cannot hold the door shut.',
      ...label(
        '未登录连接上限',
        'Most connections before login',
        '尚未登录的连接数上限；再来新连接时关闭其中最早的一个，空闲连接因此堵不住入口。',
      ),
    }),
    connectTimeoutMs: Type.Integer({
      minimum: 500,
      maximum: 60000,
      default: 5000,
      description:
        'A connection whose whole CONNECT has not arrived this long after it opened (nothing sent, half a CONNECT) is closed.',
      ...label(
        '连接报文超时（毫秒）',
        'CONNECT timeout',
        '连接打开后在这段时间内还没收到完整的 `CONNECT` 报文（什么都没发，或只发了一半）就关闭。',
      ),
    }),
    maxPreAuthPacketBytes: Type.Integer({
      minimum: 256,
      maximum: 1048576,
      default: 16384,
      description:
        'Largest MQTT packet before the client has logged in (its CONNECT included); a larger one closes the connection as soon as its header arrives.',
      ...label(
        '登录前最大报文',
        'Largest packet before login',
        '客户端登录前（包括 `CONNECT` 报文本身）接受的最大 MQTT 报文，单位字节；报文头一到就能判断，超过则关闭连接。',
      ),
    }),
    maxInflightQos2: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 16,
      description:
        'QoS 2 messages a client may have sent and not yet released (PUBREL); one more closes the connection.',
      ...label(
        'QoS 2 未完成消息上限',
        'Most unreleased QoS 2 messages',
        '一个客户端已发出但尚未释放（`PUBREL`）的 QoS 2 消息上限；再多一条就关闭连接。',
      ),
    }),
    maxFailedLoginsPerSource: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 20,
      description:
        'Wrong secrets from one address per mqtt.failedLoginWindowMs; after that its logins are refused (CONNACK 3) without checking the secret until the window ends.',
      ...label(
        '单地址登录失败上限',
        'Failed logins per address',
        '同一地址在 `mqtt.failedLoginWindowMs` 时间内允许输错密钥的次数；超过后直到时间窗结束，该地址的登录一律拒绝（`CONNACK` 3），不再校验密钥。',
      ),
    }),
    failedLoginWindowMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 60000,
      description: 'The window of mqtt.maxFailedLoginsPerSource, from the first failure.',
      ...label(
        '登录失败统计时长（毫秒）',
        'Failed-login window',
        '`mqtt.maxFailedLoginsPerSource` 的统计时间窗，从第一次失败算起。',
      ),
    }),
    auditDeniedPerSource: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description:
        'Refused MQTT logins (per address) and refused publishes (per device) written one by one to the audit log per mqtt.auditWindowMs; the rest are counted into one summary row.',
      ...label(
        '单来源逐条审计条数',
        'Refusals audited per source',
        '每个 `mqtt.auditWindowMs` 时间窗内，被拒绝的 MQTT 登录（按地址）和被拒绝的消息发布（按设备）逐条写入审计日志的条数；其余的合计为一条汇总记录。',
      ),
    }),
    auditDeniedTotal: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 30,
      description:
        'Refused MQTT logins and publishes written one by one to the audit log per mqtt.auditWindowMs from all sources together; the rest are counted into one summary row.',
      ...label(
        '逐条审计总条数',
        'Refusals audited in total',
        '每个 `mqtt.auditWindowMs` 时间窗内，所有来源合计逐条写入审计日志的被拒登录和发布条数；其余的合计为一条汇总记录。',
      ),
    }),
    auditWindowMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 60000,
      description:
        'The window of mqtt.auditDeniedPerSource and mqtt.auditDeniedTotal; the summary of what was not written one by one is written when it ends.',
      ...label(
        '审计统计时长（毫秒）',
        'Audit window',
        '`mqtt.auditDeniedPerSource` 和 `mqtt.auditDeniedTotal` 的时间窗；时间窗结束时写入没有逐条记录部分的汇总。',
      ),
    }),
    maxTrackedKeys: Type.Integer({
      minimum: 16,
      maximum: 1000000,
      default: 4096,
      description:
        "Entries at most in each of the broker's tables keyed by address or device (login cache, log and audit rate limits); the oldest is forgotten first.",
      ...label(
        '跟踪条目上限',
        'Most tracked entries',
        '消息服务器按地址或设备记录的各张表（登录缓存、日志和审计限流）的条目上限；满了先忘掉最早的。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '设备消息（MQTT）',
      'Device messages (MQTT)',
      '内置 MQTT 消息服务器：传感器和设备通过它上报数据。这里设置它的监听端口、加密和各项限制。',
    ),
  },
);

export const StoreSchema = Type.Object(
  {
    synchronous: StringEnum(['FULL', 'NORMAL'] as const, {
      default: 'FULL',
      description:
        'SQLite durability. FULL survives a power cut for every acknowledged reading; NORMAL survives a process crash only.',
      ...label(
        '写入安全级别',
        'Write durability',
        'SQLite 的持久性级别。`FULL`：每条已确认的读数断电也不会丢；`NORMAL`：只保证进程崩溃时不丢。',
        {
          FULL: ['完全同步（断电不丢）', 'Full (survives a power cut)'],
          NORMAL: ['普通（崩溃不丢）', 'Normal (survives a crash)'],
        },
      ),
    }),
    groupCommitMaxDelayMs: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 5000,
      description:
        'Longest an acknowledged reading (MQTT QoS 1) waits for the journal sync it shares with others; its PUBACK waits for that sync. Readings filling a 4 KB flash page are synced at once, so this bound only applies at low rates. Clients that retransmit unacknowledged messages after 1 s (ESP-MQTT) send duplicates when it is longer; the broker recognises them (docs/storage.md).',
      ...label(
        '合并提交最长等待（毫秒）',
        'Group commit delay',
        '已确认的读数（MQTT QoS 1）为与其他读数共用一次日志同步最多等待的时间，其 `PUBACK` 也随之等待；凑满一个 4 KB 闪存页的读数立即同步，所以此值只在数据量小时起作用。1 秒未收到确认就重发的客户端（如 ESP-MQTT）在此值更长时会发来重复消息，消息服务器能识别它们（见 `docs/storage.md`）。',
      ),
    }),
    groupCommitMaxRows: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 5000,
      description: 'Acknowledged rows waiting for a sync at most; more are synced at once.',
      ...label('合并提交最多条数', 'Group commit rows', '等待同步的已确认记录上限；超过就立即同步。'),
    }),
    polledSyncMaxMs: Type.Integer({
      minimum: 0,
      maximum: 600000,
      default: 60000,
      description:
        'Longest a reading nobody waits for (a Modbus poll, MQTT QoS 0) stays unsynced: what a power cut can lose of them. A crash of the process loses none.',
      ...label(
        '轮询读数最长未落盘（毫秒）',
        'Polled readings sync delay',
        '无人等待确认的读数（Modbus 轮询、MQTT QoS 0）最多多久不同步到磁盘，也就是断电时最多会丢失的部分。进程崩溃不会丢失这些读数。',
      ),
    }),
    applyIntervalMs: Type.Integer({
      minimum: 100,
      maximum: 3600000,
      default: 300000,
      description:
        'How often the journaled readings go into the database in one transaction. Longer writes fewer flash pages per reading; readers that need the newest readings (sync, backup, the readings API) apply first.',
      ...label(
        '入库间隔（毫秒）',
        'Apply interval',
        '日志里的读数每隔多久在一个事务中写入数据库。间隔越长，每条读数写闪存的页数越少；需要最新读数的功能（同步、备份、读数接口）会先入库再读取。',
      ),
    }),
    journalSegmentKb: Type.Integer({
      minimum: 64,
      maximum: 65536,
      default: 4096,
      description:
        "Size of each of the readings journal's two segments, written in full at the first start. What the journal can hold while the database cannot take readings (a full disk): about 7 000 sensor messages per MB.",
      ...label(
        '日志分段大小（KB）',
        'Journal segment size',
        '读数日志两个分段各自的大小，首次启动时一次写满。数据库无法接收读数（如磁盘已满）时，日志靠它暂存读数：每 MB 约可存 7000 条传感器消息。',
      ),
    }),
    applyMaxRows: Type.Integer({
      minimum: 100,
      maximum: 1000000,
      default: 20000,
      description: 'Journaled readings held for the database at most (memory bound); more go in at once.',
      ...label(
        '待入库读数上限',
        'Readings waiting for the database',
        '在内存中等待写入数据库的日志读数上限（限制内存占用）；超过就立即入库。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('数据存储', 'Data storage', '读数如何写入数据库：断电保护、合并提交和入库频率。'),
  },
);

export const RetentionSchema = Type.Object(
  {
    readingsDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 90,
      description: 'Days sensor readings are kept on the appliance.',
      ...label('读数保留天数', 'Readings kept (days)', '传感器读数在本机保留的天数。'),
    }),
    auditDays: Type.Integer({
      minimum: 180,
      maximum: 3650,
      default: 365,
      description: 'Days audit records are kept. At least 180 (Cybersecurity Law art. 21: logs kept six months).',
      ...label(
        '审计日志保留天数',
        'Audit records kept (days)',
        '审计记录保留的天数，至少 180 天（《网络安全法》第二十一条：网络日志留存不少于六个月）。',
      ),
    }),
    sessionsDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      default: 7,
      description: 'Days ended login sessions are kept.',
      ...label('登录会话保留天数', 'Sessions kept (days)', '已结束的登录会话记录保留的天数。'),
    }),
    healthDays: Type.Integer({
      minimum: 30,
      maximum: 3650,
      default: 365,
      description:
        "Days morning-check and absence records are kept (minors' health data: only as long as the school needs them). Never dropped for space.",
      ...label(
        '晨检记录保留天数',
        'Health records kept (days)',
        '晨检和缺勤记录保留的天数（未成年人的健康数据，只保留学校需要的时间）。磁盘空间不足时也不会删除。',
      ),
    }),
    lessonsDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 365,
      description: 'Days per-lesson interaction figures are kept on the appliance.',
      ...label('课堂数据保留天数', 'Lesson figures kept (days)', '每节课的课堂互动统计在本机保留的天数。'),
    }),
    jobIntervalMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 60,
      description: 'How often the retention job runs.',
      ...label('清理任务间隔（分钟）', 'Retention job interval', '数据清理任务每隔多久运行一次。'),
    }),
    clockCheckSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description:
        'How often the retention job compares the wall clock with the monotonic clock, to notice a clock set forward or back (bad RTC, unauthenticated NTP) and record it in the audit log.',
      ...label(
        '时钟核对间隔（秒）',
        'Clock check interval',
        '清理任务每隔多久比较一次系统时间和单调时钟，以发现时钟被调快或调慢（如 RTC 故障、未经认证的 NTP），并记入审计日志。',
      ),
    }),
    clockJumpToleranceMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 10,
      description:
        'How far the wall clock may move against the monotonic clock (or, after a restart, behind the last check or the newest audit record) before retention stops purging until the clock is back or an admin confirms it (classedge retention trust-clock).',
      ...label(
        '时钟跳变容差（分钟）',
        'Clock jump tolerance',
        '系统时间相对单调时钟（重启后则相对上次核对和最新审计记录）最多可偏移多少；超过后暂停清理，直到时钟恢复或管理员确认（`classedge retention trust-clock`）。',
      ),
    }),
    clockMaxOffDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 100,
      description:
        "After a reboot, how far the wall clock may be ahead of the retention job's last check before retention stops purging until an admin confirms the time (a box off for longer, e.g. over the summer holiday, needs classedge retention trust-clock).",
      ...label(
        '最长停机天数',
        'Longest time switched off (days)',
        '重启后系统时间最多可以比清理任务上次核对时超前多少天；超过则暂停清理，直到管理员确认时间（停机更久的设备，如过了一个暑假，需要运行 `classedge retention trust-clock`）。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('数据保留', 'Data retention', '各类数据在本机保留多少天，以及清理任务如何核对时钟。'),
  },
);

export const DiskSchema = Type.Object(
  {
    checkSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 30,
      description:
        "How often the disk guard measures the free space of the data directory's disk (free blocks plus free pages inside the database).",
      ...label(
        '检查间隔（秒）',
        'Check interval',
        '每隔多久测量一次数据目录所在磁盘的剩余空间（空闲块加上数据库内部的空闲页）。',
      ),
    }),
    lowFreeMb: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 1024,
      description:
        'Below this much free space (MB) the disk is low: diagnostic captures, old minute rollups and raw readings the district holds are deleted, oldest first, and the kiosk and doctor say so.',
      ...label(
        '空间不足阈值（MB）',
        'Low free space (MB)',
        '剩余空间低于此值即为“空间不足”：从最旧的开始删除诊断采集文件、较早的分钟汇总和区级平台已保存的原始读数，教师面板和 `classedge doctor` 也会提示。',
      ),
    }),
    lowFreePercent: Type.Number({
      minimum: 0,
      maximum: 50,
      default: 5,
      description: 'The disk is also low below this share (%) of its size free.',
      ...label('空间不足比例（%）', 'Low free space (%)', '剩余空间低于磁盘容量的这个百分比时，也算空间不足。'),
    }),
    criticalFreeMb: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 256,
      description:
        'Below this much free space (MB) the disk is critical: also every damaged-database copy is deleted; readings the district has not confirmed are still kept (new readings may then be refused and re-sent by their devices).',
      ...label(
        '空间告急阈值（MB）',
        'Critical free space (MB)',
        '剩余空间低于此值即为“空间告急”：还会删除所有损坏数据库的副本；区级平台尚未确认的读数仍然保留（这时新读数可能被拒收，由设备重发）。',
      ),
    }),
    criticalFreePercent: Type.Number({
      minimum: 0,
      maximum: 50,
      default: 2,
      description: 'The disk is also critical below this share (%) of its size free.',
      ...label('空间告急比例（%）', 'Critical free space (%)', '剩余空间低于磁盘容量的这个百分比时，也算空间告急。'),
    }),
    shedRollupsOlderThanDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 14,
      description:
        'Under disk pressure, minute rollups older than this are deleted first (the 24-hour and 7-day charts and the rolling averages need the newer ones).',
      ...label(
        '先删分钟汇总（天）',
        'Drop rollups older than (days)',
        '空间紧张时，首先删除早于此天数的分钟汇总（24 小时和 7 天曲线及滚动平均要用较新的汇总）。',
      ),
    }),
    shedReadingsOlderThanHours: Type.Integer({
      minimum: 1,
      maximum: 8760,
      default: 24,
      description:
        'Under disk pressure, raw readings older than this (and already in their minute rollups and confirmed by the district) are deleted next.',
      ...label(
        '再删原始读数（小时）',
        'Drop readings older than (hours)',
        '空间紧张时，接着删除早于此时数、已计入分钟汇总并已被区级平台确认的原始读数。',
      ),
    }),
    shedBatchRows: Type.Integer({
      minimum: 100,
      maximum: 100_000,
      default: 2000,
      description:
        'Rows deleted per transaction under disk pressure: small enough that the delete itself finds room in the write-ahead log.',
      ...label(
        '每批删除行数',
        'Rows per delete',
        '空间紧张时每个事务删除的行数：要足够小，删除操作本身才能在预写日志（WAL）里找到空间。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('磁盘空间', 'Disk space', '磁盘空间不足的阈值，以及空间紧张时的删除顺序。'),
  },
);

export const UpdateSchema = Type.Object(
  {
    channel: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,31}$',
      default: 'stable',
      description:
        'Release channel this appliance follows; an update bundle signed for another channel is refused (e.g. stable, pilot).',
      ...label(
        '更新通道',
        'Release channel',
        '本机跟随的发布通道（如 `stable`、`pilot`）；为其他通道签名的更新包会被拒绝。',
      ),
    }),
    keepPreUpdateCopies: Type.Integer({
      minimum: 1,
      maximum: 5,
      default: 1,
      description:
        'Pre-update database copies (pre-update-<version>.db) kept after an update (at least the newest, which a rollback needs); none is kept longer than the shortest retention of the data it holds.',
      ...label(
        '更新前备份份数',
        'Pre-update copies kept',
        '更新后保留几份更新前的数据库副本（`pre-update-<版本>.db`），至少保留最新一份供回退使用；每份副本保留的时间都不超过其中数据最短的保留期。',
      ),
    }),
    downloadKbps: Type.Integer({
      minimum: 0,
      maximum: 1000000,
      default: 2000,
      description:
        "Download update bundles offered by the district at most this many kilobits per second on average (0: no cap), to spare a school's link; a cut download resumes where it stopped.",
      ...label(
        '更新下载限速（kbit/s）',
        'Update download cap (kbit/s)',
        '下载区级平台推送的更新包时的平均速率上限（0 表示不限速），以免占满学校的网络；下载中断后从断点继续。',
      ),
    }),
    installCommand: Type.String({
      maxLength: 2000,
      default: '',
      description:
        'Shell command that installs a downloaded fleet update (classedge update --fleet ...), started detached. Empty: the systemd path unit classedge-fleet-update.path starts it as root when the request file appears (deploy/systemd).',
      ...label(
        '更新安装命令',
        'Update install command',
        '安装已下载的区级更新包所用的命令（如 `classedge update --fleet ...`，由 `sh -c` 执行），以独立进程启动。留空时由系统服务 `classedge-fleet-update.path` 在请求文件出现后以管理员权限启动安装（见 `deploy/systemd`）。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '软件更新',
      'Software updates',
      '本机跟随的发布通道、更新前的数据库备份，以及区级平台推送的更新如何下载和安装。',
    ),
  },
);

export const AuthSchema = Type.Object(
  {
    adminSessionIdleMinutes: Type.Integer({
      minimum: 1,
      maximum: 240,
      default: 15,
      description: 'Admin sessions end after this much inactivity.',
      ...label('管理员空闲超时（分钟）', 'Admin idle timeout', '管理员会话无操作超过这段时间后结束。'),
    }),
    teacherSessionIdleMinutes: Type.Integer({
      minimum: 1,
      maximum: 720,
      default: 480,
      description: 'Teacher sessions end after this much inactivity.',
      ...label('教师空闲超时（分钟）', 'Teacher idle timeout', '教师会话无操作超过这段时间后结束。'),
    }),
    adminSessionMaxMinutes: Type.Integer({
      minimum: 1,
      maximum: 10080,
      default: 720,
      description:
        'Admin sessions end this long after login however active they are (12 h): a stolen cookie does not live forever.',
      ...label(
        '管理员会话最长（分钟）',
        'Admin session limit',
        '管理员登录后，无论是否一直在操作，到这个时间会话都会结束（默认 12 小时），被盗的 Cookie 不会一直有效。',
      ),
    }),
    teacherSessionMaxMinutes: Type.Integer({
      minimum: 1,
      maximum: 10080,
      default: 960,
      description:
        'Teacher sessions end this long after login however active they are (16 h, longer than a school day).',
      ...label(
        '教师会话最长（分钟）',
        'Teacher session limit',
        '教师登录后，无论是否一直在操作，到这个时间会话都会结束（默认 16 小时，比一个教学日长）。',
      ),
    }),
    maxFailedLogins: Type.Integer({
      minimum: 3,
      maximum: 20,
      default: 5,
      description:
        "Failed logins in a row before an account is locked. Counted apart for the kiosk's own browser (loopback) and for the LAN, so a device on the LAN cannot lock a teacher out of the classroom panel.",
      ...label(
        '连续失败锁定次数',
        'Failed logins before lock',
        '连续登录失败多少次后锁定账户。大屏自带的浏览器（本机回环）和局域网分开计数，局域网上的设备无法把老师锁在教室大屏之外。',
      ),
    }),
    lockoutMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 15,
      description:
        'How long a locked account stays locked (an admin lifts it early by enabling the account or setting its secret).',
      ...label(
        '锁定时长（分钟）',
        'Lockout time',
        '账户锁定后保持锁定的时间（管理员启用账户或重设密码、PIN 可以提前解锁）。',
      ),
    }),
    sourceMaxFailedLogins: Type.Integer({
      minimum: 3,
      maximum: 1000,
      default: 20,
      description:
        'Login attempts one source address (an IPv6 /64 counts as one) may make across all accounts per sourceWindowMinutes; more get 429 with Retry-After. A successful login does not count.',
      ...label(
        '单地址登录尝试上限',
        'Login attempts per address',
        '同一来源地址（IPv6 按一个 /64 网段计）在每个 `auth.sourceWindowMinutes` 时间窗内对所有账户的登录尝试上限；超过返回 429 并带 `Retry-After`。登录成功不计入。',
      ),
    }),
    sourceWindowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 15,
      description: 'The window of sourceMaxFailedLogins.',
      ...label('登录尝试统计时长（分钟）', 'Login attempt window', '`auth.sourceMaxFailedLogins` 的统计时间窗。'),
    }),
    loginHashConcurrency: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 2,
      description:
        'Login secrets checked at once at most (each scrypt check takes 128 MiB and most of a core); others wait in loginQueueMax.',
      ...label(
        '同时校验登录数',
        'Parallel login checks',
        '同时校验的登录密码或 PIN 上限（每次 scrypt 校验占用 128 MiB 内存和大半个 CPU 核心）；其余的排队等待，队列长度见 `auth.loginQueueMax`。',
      ),
    }),
    loginQueueMax: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 64,
      description:
        'Logins waiting for a check at most; more are refused at once with 429, so a burst from many addresses cannot pile up.',
      ...label(
        '登录排队上限',
        'Login queue length',
        '等待校验的登录请求上限；再多的立即以 429 拒绝，大量地址同时登录也不会堆积。',
      ),
    }),
    sourcesTracked: Type.Integer({
      minimum: 16,
      maximum: 1000000,
      default: 4096,
      description:
        'Source addresses whose login attempts are remembered at most (bounded memory); the oldest window is forgotten first.',
      ...label(
        '跟踪地址上限',
        'Tracked addresses',
        '记住登录尝试的来源地址数上限（限制内存占用）；满了先忘掉最早的时间窗。',
      ),
    }),
    pinLength: Type.Integer({
      minimum: 4,
      maximum: 8,
      default: 6,
      description: 'Digits in a teacher PIN.',
      ...label('教师 PIN 位数', 'Teacher PIN length', '教师 PIN 码的位数。'),
    }),
    passwordMinLength: Type.Integer({
      minimum: 8,
      maximum: 64,
      default: 10,
      description: 'Characters in an admin password at least (with three of: lower, upper, digit, symbol).',
      ...label(
        '管理员密码最短长度',
        'Shortest admin password',
        '管理员密码至少几个字符（须包含小写字母、大写字母、数字、符号中的三类）。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('登录与账户', 'Logins and accounts', '登录会话时长、登录失败锁定和密码规则。'),
  },
);

export const LogSchema = Type.Object(
  {
    level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      default: 'info',
      description: 'Log level.',
      ...label('日志级别', 'Log level', '运行日志的详细程度：只记录这一级别及更严重的事件。', {
        fatal: ['致命错误', 'Fatal'],
        error: ['错误', 'Error'],
        warn: ['警告', 'Warning'],
        info: ['一般信息', 'Information'],
        debug: ['调试', 'Debug'],
        trace: ['详细跟踪', 'Trace'],
        silent: ['不记录', 'Silent'],
      }),
    }),
  },
  { additionalProperties: false, default: {}, ...label('运行日志', 'Logging', '本机运行日志记录得多详细。') },
);

export const KioskSchema = Type.Object(
  {
    idleLockSeconds: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 300,
      description: 'The teacher panel returns home and locks after this much inactivity.',
      ...label('空闲锁屏（秒）', 'Idle lock', '教师面板无操作超过这段时间后回到首页并锁定。'),
    }),
    defaultLanguage: StringEnum(['zh-CN', 'en'] as const, {
      default: 'zh-CN',
      description: 'Language the panel starts in.',
      ...label('默认语言', 'Default language', '教师面板启动时使用的语言。', {
        'zh-CN': ['简体中文', 'Simplified Chinese'],
        en: ['英文', 'English'],
      }),
    }),
    itContact: Type.String({
      maxLength: 200,
      default: '',
      description:
        "Whom teachers call about the panel, e.g. '信息中心 张老师 分机 8021'. Shown on the help page, under the PIN pad (forgotten PIN) and where a device needs attention.",
      ...label(
        '信息老师联系方式',
        'IT contact',
        '教师遇到面板问题时找谁，例如“信息中心 张老师 分机 8021”。显示在帮助页、PIN 键盘下方（忘记 PIN）和设备需要检查的提示里。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('教师面板', 'Teacher panel', '教室大屏上教师面板的自动锁屏、默认语言和信息老师联系方式。'),
  },
);

export const MetricsSchema = Type.Object(
  {
    scrapeTokenSha256: Type.String({
      pattern: '^([0-9a-f]{64})?$',
      default: '',
      description:
        'SHA-256 (hex) of the bearer token a Prometheus on the network presents to GET /metrics; empty: /metrics answers loopback only. Make the token with `openssl rand -hex 32` (docs/metrics.md).',
      ...label(
        '指标令牌 SHA-256',
        'Metrics token (SHA-256)',
        '网络上的 Prometheus 访问 `GET /metrics` 时出示的令牌的 SHA-256 值（十六进制）；留空则 `/metrics` 只回应本机。令牌用 `openssl rand -hex 32` 生成（见 `docs/metrics.md`）。',
      ),
    }),
    historyIntervalSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 300,
      description:
        'How often CPU, memory, disk free, flash writes, event-loop lag and sync lag are stored for the 系统状态 charts (one small row each time).',
      ...label(
        '状态记录间隔（秒）',
        'History interval (s)',
        '每隔多久为“系统状态”图表记录一次 CPU、内存、磁盘剩余空间、闪存写入量、事件循环延迟和同步延迟（每次一行小记录）。',
      ),
    }),
    historyMaxRows: Type.Integer({
      minimum: 10,
      maximum: 100000,
      default: 2100,
      description: 'Rows of that history kept; the oldest go first (2100 rows at 5 minutes is a little over 7 days).',
      ...label(
        '状态记录保留行数',
        'History rows kept',
        '这些历史记录保留的行数，最早的先删（每 5 分钟一行时，2100 行略多于 7 天）。',
      ),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label('运行指标', 'Metrics', 'Prometheus 指标的访问权限，以及“系统状态”图表的历史记录。'),
  },
);

export const ConfigSchema = Type.Object(
  {
    appliance: ApplianceSchema,
    dataDir: Type.String({
      minLength: 1,
      default: '/var/lib/classedge',
      description: 'Directory for the database and keys. Env: CLASSEDGE_DATA_DIR.',
    }),
    http: HttpSchema,
    mqtt: MqttSchema,
    store: StoreSchema,
    retention: RetentionSchema,
    disk: DiskSchema,
    update: UpdateSchema,
    auth: AuthSchema,
    log: LogSchema,
    kiosk: KioskSchema,
    environment: EnvironmentSchema,
    timetable: TimetableSchema,
    room: RoomSchema,
    health: HealthSchema,
    sync: SyncSchema,
    analysis: AnalysisSchema,
    metrics: MetricsSchema,
    shutdownTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 5000,
      description: 'Longest a graceful shutdown may take before the process exits anyway.',
      ...label('停止等待上限（毫秒）', 'Shutdown timeout', '正常停止时最多等待这么久，超时后进程直接退出。'),
    }),
    components: Type.Array(componentConfigSchemas(), {
      default: [],
      description: 'Drivers, simulators, analysers and other components, each selected by its `type`.',
    }),
  },
  { additionalProperties: false, $id: 'https://classedge.org/schema/config.json', title: 'ClassEdge configuration' },
);

export type Config = Static<typeof ConfigSchema>;
