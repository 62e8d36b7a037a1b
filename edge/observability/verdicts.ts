import type { Label } from './metric-names.js';

/**
 * A health verdict per component for the IT technician on the 系统状态 page: is it healthy, and if
 * not, what to do. Pure data and rules (the kiosk bundle imports it); both languages here, zh-CN first.
 */
export type VerdictLevel = 'ok' | 'warn' | 'bad';
export interface Verdict {
  level: VerdictLevel;
  advice: Label;
}

interface StatusLike {
  kind: string;
  state: string;
  counters?: Record<string, number>;
}

const SERIAL: Label = {
  'zh-CN': '检查串口线、设备电源和 USB 转串口适配器（拔插一次）；运行 classedge doctor 查看串口。',
  en: 'Check the serial cable, the device power and the USB serial adapter (re-plug it); run classedge doctor for the ports.',
};

/** What to do about a component of this kind that is not running well. */
const ADVICE: Record<string, Label> = {
  'modbus-bus': SERIAL,
  thermometer: SERIAL,
  'card-reader-serial': SERIAL,
  'camera-vc0706': SERIAL,
  display: {
    'zh-CN': '检查大屏的 RS-232 线和电源；运行 classedge doctor 查看串口。',
    en: 'Check the panel RS-232 cable and power; run classedge doctor for the ports.',
  },
  'mqtt-broker': {
    'zh-CN': 'MQTT 服务异常，传感器无法上报：运行 classedge doctor 检查端口是否被占用，然后重启 classedge 服务。',
    en: 'The MQTT broker is not serving, sensors cannot report: run classedge doctor (port in use?), then restart the classedge service.',
  },
  'mqtt-service-client': {
    'zh-CN': '内部 MQTT 连接异常：重启 classedge 服务。',
    en: 'The internal MQTT connection is down: restart the classedge service.',
  },
  'http-server': {
    'zh-CN': '网页服务异常：运行 classedge doctor 检查端口和证书，然后重启 classedge 服务。',
    en: 'The web server has a problem: run classedge doctor (ports, certificate), then restart the classedge service.',
  },
  'sync-agent': {
    'zh-CN': '检查到区级平台的网络；运行 classedge sync status 查看各数据流的积压和最近的错误。',
    en: 'Check the network to the district; run classedge sync status for each stream’s backlog and last error.',
  },
  analysis: {
    'zh-CN': '课堂分析无法运行：运行 classedge doctor 检查模型文件，必要时重新安装更新包。',
    en: 'Lesson analysis cannot run: run classedge doctor for the model files; reinstall the update bundle if needed.',
  },
  media: {
    'zh-CN': '远程课堂服务异常：运行 classedge doctor 检查 mediasoup 工作进程；仍失败请重启 classedge 服务。',
    en: 'The remote-lesson service has a problem: run classedge doctor for the mediasoup worker; restart the classedge service if it persists.',
  },
  'camera-ffmpeg': {
    'zh-CN': '检查摄像头的网线或 USB 连接和地址；运行 classedge doctor 检查 ffmpeg。',
    en: 'Check the camera cable or USB link and its address; run classedge doctor for ffmpeg.',
  },
  'audio-alsa': {
    'zh-CN': '检查麦克风是否插好、声卡名称是否正确；运行 classedge doctor。',
    en: 'Check the microphones are plugged in and the sound card name; run classedge doctor.',
  },
  'retention-job': {
    'zh-CN': '数据清理暂停（常见原因：系统时钟不可信）；检查时间同步，运行 classedge doctor。',
    en: 'Data retention is paused (often: the clock is not trusted); check time sync and run classedge doctor.',
  },
};

const GENERIC: Label = {
  'zh-CN': '运行 classedge doctor 查看原因；仍有问题请重启 classedge 服务。',
  en: 'Run classedge doctor for the cause; restart the classedge service if it persists.',
};

const OK: Label = { 'zh-CN': '正常，无需处理。', en: 'Healthy, nothing to do.' };
const WAIT: Label = { 'zh-CN': '正在启动或停止，请稍候再看。', en: 'Starting or stopping; look again in a minute.' };

export function componentVerdict(s: StatusLike): Verdict {
  const advice = ADVICE[s.kind] ?? GENERIC;
  const offline = s.counters?.offline ?? 0;
  // A bus with some sensors offline is degraded, but the line works: the sensors are what to check.
  if (s.kind === 'modbus-bus' && offline > 0 && (s.state === 'degraded' || s.state === 'running'))
    return {
      level: 'warn',
      advice: {
        'zh-CN': `${offline} 个传感器离线：检查它们的接线、电源和 Modbus 地址（Modbus 页面列出每个传感器）。`,
        en: `${offline} sensor(s) offline: check their wiring, power and Modbus address (the Modbus page lists each).`,
      },
    };
  switch (s.state) {
    case 'failed':
      return { level: 'bad', advice };
    case 'degraded':
    case 'stopped':
      return { level: 'warn', advice };
    case 'starting':
    case 'stopping':
      return { level: 'warn', advice: WAIT };
    default:
      break;
  }
  if ((s.counters?.timerErrors ?? 0) > 0)
    return {
      level: 'warn',
      advice: {
        'zh-CN': '定时任务出过错（见日志）：运行 classedge doctor，常见原因是磁盘已满。',
        en: 'A periodic task failed (see the log): run classedge doctor; a full disk is the usual cause.',
      },
    };
  return { level: 'ok', advice: OK };
}

/** Verdicts on the appliance as a whole, from the latest history point (null while there is none). */
export function systemVerdicts(p: {
  diskFreeBytes: number;
  diskTotalBytes: number;
  loopLagP99Ms: number;
  syncLagS: number | null;
}): { key: 'disk' | 'loop' | 'sync'; verdict: Verdict }[] {
  const out: { key: 'disk' | 'loop' | 'sync'; verdict: Verdict }[] = [];
  const freeShare = p.diskTotalBytes > 0 ? p.diskFreeBytes / p.diskTotalBytes : 1;
  if (freeShare < 0.1)
    out.push({
      key: 'disk',
      verdict: {
        level: freeShare < 0.03 ? 'bad' : 'warn',
        advice: {
          'zh-CN':
            '磁盘剩余不足 10%：在“设置”中缩短 retention.readingsDays 等保留天数，或清理数据目录外的其他文件；运行 classedge doctor 查看占用。',
          en: 'Less than 10 % of the disk is free: shorten retention.readingsDays and the other retention days in Settings, or clear other files off the disk; run classedge doctor for what uses it.',
        },
      },
    });
  if (p.loopLagP99Ms > 100)
    out.push({
      key: 'loop',
      verdict: {
        level: 'warn',
        advice: {
          'zh-CN': '系统响应变慢（事件循环延迟超过 100 毫秒）：关闭不用的分析和摄像头，或检查存储卡是否老化。',
          en: 'The appliance is slow to respond (event-loop lag over 100 ms): switch off unused analysis and cameras, or check the flash card for wear.',
        },
      },
    });
  // Readings go in the nightly window: up to a day behind is normal.
  if (p.syncLagS !== null && p.syncLagS > 48 * 3600)
    out.push({
      key: 'sync',
      verdict: {
        level: 'warn',
        advice: {
          'zh-CN': '超过 48 小时没有同步到区级平台：检查网络，运行 classedge sync status。',
          en: 'Nothing reached the district for more than 48 hours: check the network and run classedge sync status.',
        },
      },
    });
  return out;
}
