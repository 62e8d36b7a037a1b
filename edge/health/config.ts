import { Type } from '@sinclair/typebox';
import { label, type Labelled } from '../config/labels.js';

const HHMM = (labels: Labelled) => Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', ...labels });

/** The morning check's numbers. Institutional practice, not national figures: every one is configurable. */
export const HealthSchema = Type.Object(
  {
    classId: Type.Optional(
      Type.String({
        description: 'The class at this door; default: the only (or first) class in the roster.',
        ...label('晨检班级', 'Class at the door', '这个门口晨检的班级；不填则取学生名单中唯一（或第一个）的班级。'),
      }),
    ),
    feverC: Type.Number({
      minimum: 36.5,
      maximum: 39,
      default: 37.3,
      description: 'Forehead temperature counted as fever (common school practice).',
      ...label('发热体温（°C）', 'Fever from (°C)', '额温达到此值算发热（学校常用标准）。'),
    }),
    remeasureAfterMinutes: Type.Integer({
      minimum: 0,
      maximum: 30,
      default: 5,
      description: 'A fever is measured again after this long before it is confirmed.',
      ...label('复测间隔（分钟）', 'Re-measure after (minutes)', '测出发热后隔多久复测，复测仍发热才确认。'),
    }),
    checkWindow: Type.Object(
      {
        from: HHMM(label('开始时间', 'From', '晨检开始的当地时间，格式 HH:MM。')),
        to: HHMM(label('结束时间', 'To', '晨检结束的当地时间，格式 HH:MM。')),
      },
      {
        additionalProperties: false,
        default: { from: '07:20', to: '08:10' },
        description: 'When the door check runs; students without a check after it are listed absent.',
        ...label('晨检时段', 'Check window', '门口晨检进行的时间；时段结束时仍未检测的学生记为缺勤。'),
      },
    ),
    districtReportTimes: Type.Array(HHMM(label('上报时间', 'Report time', '当地时间，格式 HH:MM。')), {
      maxItems: 6,
      default: ['10:00', '16:30'],
      description:
        "Local times at which each class's daily health report (checked, fever, symptoms, absence for illness: counts only) goes to the district, on each day the class's check ran; the district keeps the latest of the day. A day with no case is reported as zero.",
      ...label(
        '向区级上报时间',
        'Daily report to the district',
        '每天在这些当地时间，把各班当天的晨检汇总（已检人数、发热、症状、因病缺勤，仅含人数）发送到区级平台；只在当天晨检进行过的班级发送，区级保留当天最新的一份。没有病例的日子按“零报告”上报。',
      ),
    }),
    compensation: Type.Object(
      {
        perDegreeBelowRef: Type.Number({
          minimum: 0,
          maximum: 0.2,
          default: 0.04,
          description: '°C added per °C the ambient is below the reference (a cold doorway cools the forehead).',
          ...label(
            '每度补偿（°C）',
            'Added per degree (°C)',
            '环境温度每比参考温度低 1 °C 所加的温度（门口寒冷会让额温偏低）。',
          ),
        }),
        ambientRefC: Type.Number({
          minimum: 10,
          maximum: 35,
          default: 25,
          ...label('参考环境温度（°C）', 'Reference ambient (°C)', '环境温度低于此值时才补偿。'),
        }),
        maxAdjustC: Type.Number({
          minimum: 0,
          maximum: 2,
          default: 0.6,
          ...label('最大补偿（°C）', 'Largest adjustment (°C)', '补偿最多加这么多。'),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'Surface-to-body compensation of the infrared reading; the raw and ambient values are kept beside the result. Have the school health officer confirm these.',
        ...label(
          '测温补偿',
          'Temperature compensation',
          '把红外测得的体表温度换算为体温的补偿；原始读数和环境温度与结果一起保存。请校医确认这些数值。',
        ),
      },
    ),
    humanRangeC: Type.Object(
      {
        minC: Type.Number({
          default: 30,
          ...label('最低有效温度（°C）', 'Lowest plausible (°C)', '低于此值的测温结果算测量失败（例如没有对准额头）。'),
        }),
        maxC: Type.Number({
          default: 43,
          ...label('最高有效温度（°C）', 'Highest plausible (°C)', '高于此值的测温结果算测量失败。'),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Object temperatures outside this are a bad measurement, not a child.',
        ...label('有效测温范围', 'Plausible range', '超出这个范围的测温结果算测量失败，而不是孩子的体温。'),
      },
    ),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '晨检',
      'Morning health check',
      '晨检的发热标准、复测和测温补偿。这些是学校的做法而非国家标准，都可以修改。',
    ),
  },
);

export interface Compensated {
  compensatedC: number;
  method: string;
}

/** The documented compensation: raw + min(maxAdjust, perDegree × max(0, ref − ambient)). */
export function compensate(
  rawC: number,
  ambientC: number | undefined,
  c: { perDegreeBelowRef: number; ambientRefC: number; maxAdjustC: number },
): Compensated {
  const adjust =
    ambientC === undefined ? 0 : Math.min(c.maxAdjustC, c.perDegreeBelowRef * Math.max(0, c.ambientRefC - ambientC));
  return {
    compensatedC: Math.round((rawC + adjust) * 100) / 100,
    method: `linear-ambient-v1 (+${c.perDegreeBelowRef} °C per °C below ${c.ambientRefC} °C, at most +${c.maxAdjustC} °C; applied +${Math.round(adjust * 100) / 100})`,
  };
}
