import { Type, type Static } from '@sinclair/typebox';
import { label } from '../config/labels.js';

/**
 * Classroom interaction analysis (interaction-analysis.md). Every boundary is configurable: the
 * S-T conventions differ between studies, and the head-up rate is a contested figure.
 */
export const AnalysisSchema = Type.Object(
  {
    enabled: Type.Boolean({
      default: true,
      description: 'Analyse audio and camera inputs during lessons. The models load only once an input delivers data.',
      ...label('启用课堂分析', 'Analyse lessons', '上课时分析音频和摄像头输入。有输入送来数据后才加载模型。'),
    }),
    sampleIntervalS: Type.Integer({
      minimum: 5,
      maximum: 120,
      default: 30,
      description:
        'S-T sample interval: each interval of a lesson is coded T or S (30 s is common; some studies use 15 s).',
      ...label(
        'S-T 采样间隔（秒）',
        'S-T sample interval (s)',
        'S-T 分析的采样间隔：课堂的每个间隔编码为 T 或 S（常用 30 秒，也有研究用 15 秒）。',
      ),
    }),
    teacherShareForT: Type.Number({
      minimum: 0.1,
      maximum: 0.9,
      default: 0.5,
      description:
        'An interval is coded T when the teacher talked at least this share of it; otherwise S (students talking, or silence: students working).',
      ...label(
        '编码为 T 的讲话占比',
        'Teacher share for T',
        '一个间隔内教师讲话至少占这个比例就编码为 T，否则为 S（学生发言，或安静：学生在练习）。',
      ),
    }),
    modes: Type.Object(
      {
        practiceRtMax: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.3,
          description: 'Rt at or below this: practice mode (练习型).',
          ...label('练习型 Rt 上限', 'Practice: highest Rt', 'Rt 不高于此值为练习型。'),
        }),
        lectureRtMin: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.7,
          description: 'Rt at or above this: lecture mode (讲授型).',
          ...label('讲授型 Rt 下限', 'Lecture: lowest Rt', 'Rt 不低于此值为讲授型。'),
        }),
        dialogueChMin: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.4,
          description: 'Ch at or above this (and Rt between): dialogue mode (对话型); otherwise mixed (混合型).',
          ...label('对话型 Ch 下限', 'Dialogue: lowest Ch', 'Rt 介于两者之间且 Ch 不低于此值为对话型，否则为混合型。'),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label(
          '教学模式判定',
          'Teaching modes',
          '按 Rt（教师行为占有率）和 Ch（师生行为转换率）判定教学模式的界限。',
        ),
      },
    ),
    vad: Type.Object(
      {
        threshold: Type.Number({
          minimum: 0.05,
          maximum: 0.95,
          default: 0.5,
          description: 'Speech probability at which a speech segment starts.',
          ...label('语音起始阈值', 'Speech threshold', '语音概率达到此值时开始一段语音。'),
        }),
        releaseThreshold: Type.Number({
          minimum: 0.01,
          maximum: 0.9,
          default: 0.35,
          description: 'Probability below which silence starts counting (hysteresis).',
          ...label('静音阈值', 'Silence threshold', '语音概率低于此值时开始计算静音（回差）。'),
        }),
        minSpeechMs: Type.Integer({
          minimum: 32,
          maximum: 2000,
          default: 250,
          description: 'Shorter bursts are not speech (a cough, a chair).',
          ...label('最短语音（毫秒）', 'Shortest speech (ms)', '比这更短的声音不算语音（如咳嗽、挪椅子）。'),
        }),
        minSilenceMs: Type.Integer({
          minimum: 32,
          maximum: 5000,
          default: 500,
          description: 'Pauses shorter than this stay inside one speech segment.',
          ...label('最短停顿（毫秒）', 'Shortest pause (ms)', '短于此值的停顿仍算同一段语音。'),
        }),
        endLagMs: Type.Integer({
          minimum: 0,
          maximum: 1000,
          default: 200,
          description:
            "The voice model's probability stays high for about 0.2 s after speech ends (measured on synthesised lessons); segment ends are moved back by this much so talk time is not overstated.",
          ...label(
            '语音结束修正（毫秒）',
            'End lag (ms)',
            '讲话结束后，语音模型的概率还会高约 0.2 秒（在合成的课堂录音上测得）；语音段的结束时间按此值提前，以免高估讲话时长。',
          ),
        }),
        teacherDominanceDb: Type.Number({
          minimum: -20,
          maximum: 30,
          default: 0,
          description:
            "Speech is the teacher's when the lapel microphone is at least this much louder than the room microphone (a student's voice reaches the lapel weaker than the room).",
          ...label(
            '教师语音判定差值（dB）',
            'Teacher dominance (dB)',
            '领夹麦克风比教室麦克风至少响这么多时，判为老师在讲话（学生的声音传到领夹麦克风时比教室麦克风弱）。',
          ),
        }),
        handoverMs: Type.Integer({
          minimum: 0,
          maximum: 2000,
          default: 300,
          description:
            "How long the teacher (or a student) must have been quiet before the other side's speech starts a segment: shorter, and the model's decaying tail on the other microphone passes for an answer; longer, and quick answers are timed late (the wait times depend on it).",
          ...label(
            '换人间隔（毫秒）',
            'Hand-over (ms)',
            '一方停下多久之后，另一方的声音才算开始讲话：太短，模型残留的概率会被当成回答；太长，快速的回答会被计晚（影响候答时间）。',
          ),
        }),
        lapelChannel: Type.Integer({
          minimum: 0,
          maximum: 1,
          default: 0,
          description:
            "Which of the two capture channels is the teacher's wireless (lapel) microphone; the other is the room microphone.",
          ...label(
            '领夹麦克风声道',
            'Lapel channel',
            '两个采集声道中哪一个是老师的无线领夹麦克风；另一个是教室麦克风。',
          ),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('语音检测', 'Voice detection', '语音活动检测（VAD）：判断何时有人讲话、是不是老师在讲。'),
      },
    ),
    questioning: Type.Object(
      {
        maxWaitS: Type.Number({
          minimum: 1,
          maximum: 60,
          default: 10,
          description:
            'A silence between the teacher and a student longer than this is not a wait time (the class was working): the exchange does not count.',
          ...label(
            '最长候答（秒）',
            'Longest wait (s)',
            '老师和学生之间的停顿超过此值，不算候答时间（学生在做练习），这次交替不计入。',
          ),
        }),
        bridgeS: Type.Number({
          minimum: 0,
          maximum: 30,
          default: 4,
          description:
            'Pauses up to this long between speech count as one voice (a pause in a lecture or an exchange); longer silences are no voice (seatwork, thinking time).',
          ...label(
            '停顿归并（秒）',
            'Pause bridged (s)',
            '讲话之间不超过此值的停顿仍算“一人讲话”（讲授或问答中的停顿）；更长的安静算“无人讲话”（练习、思考）。',
          ),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label(
          '提问与候答',
          'Questioning',
          '从老师和学生讲话的先后与停顿得出候答时间、问答次数和课堂模式；不识别讲话内容。',
        ),
      },
    ),
    voices: Type.Object(
      {
        blockS: Type.Number({
          minimum: 0.5,
          maximum: 10,
          default: 2,
          description: 'Length of the blocks of room sound judged one voice or several at once.',
          ...label('判定时长（秒）', 'Block (s)', '每次判断“一人讲话”还是“多人同时讲话”所用的声音长度。'),
        }),
        minSpeechShare: Type.Number({
          minimum: 0,
          maximum: 1,
          default: 0.9,
          description: 'Share of a block the room microphone must hear speech in for it to be several voices.',
          ...label(
            '讲话占比下限',
            'Speech share',
            '教室麦克风在一段声音中听到讲话的比例至少为此值，才可能是多人同时讲话。',
          ),
        }),
        spreadDb: Type.Number({
          minimum: 1,
          maximum: 30,
          default: 7,
          description:
            "Reference spread of the room's loudness (dB): one voice pauses between words and spreads more; several voices fill each other's pauses.",
          ...label(
            '响度起伏参考（dB）',
            'Loudness spread (dB)',
            '教室声音响度起伏的参考值：一个人讲话有字词间的停顿，起伏大；多人同时讲话互相填满停顿，起伏小。',
          ),
        }),
        periodicShare: Type.Number({
          minimum: 0.05,
          maximum: 1,
          default: 0.75,
          description:
            "Reference share of strongly periodic windows: one voice's pitch repeats itself, several pitches at once do not. A block is several voices when spread / spreadDb + periodic share / periodicShare < 2.",
          ...label(
            '周期性占比参考',
            'Periodic share',
            '声音中周期性强的片段所占比例的参考值：一个人的音高有规律地重复，多人同时讲话则没有。两个比值之和小于 2 时判为多人同时讲话。',
          ),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label(
          '多人讲话判定',
          'Several voices',
          '小组讨论时教室麦克风听到多人同时讲话，领夹麦克风安静；据此区分“一人讲话”和“多人讲话”。',
        ),
      },
    ),
    vision: Type.Object(
      {
        minFacePx: Type.Integer({
          minimum: 12,
          maximum: 200,
          default: 24,
          description:
            'Smallest face (width in camera pixels) the count must include: sets how finely frames are tiled, and the time per frame.',
          ...label(
            '最小人脸（像素）',
            'Smallest face (px)',
            '计数必须能数到的最小人脸宽度（摄像头像素）：它决定画面切块的细密程度，也就决定每帧的处理时间。',
          ),
        }),
        maxFaceFraction: Type.Number({
          minimum: 0.05,
          maximum: 1,
          default: 0.3,
          description: 'Boxes taller than this share of the frame are not students seen from the front of the room.',
          ...label('最大人脸占比', 'Largest face share', '高度超过画面这个比例的框，不是从教室前方看到的学生。'),
        }),
        scoreThreshold: Type.Number({
          minimum: 0.05,
          maximum: 0.95,
          default: 0.2,
          description: 'Face score from which a box found by the pyramid search is a candidate.',
          ...label('候选人脸阈值', 'Candidate threshold', '金字塔搜索找到的框，人脸得分达到此值才成为候选。'),
        }),
        screenThreshold: Type.Number({
          minimum: 0,
          maximum: 0.95,
          default: 0.3,
          description:
            'Mean score a candidate needs on the quick screening look (small, plain and mirrored) to get the second look.',
          ...label(
            '初筛阈值',
            'Screening threshold',
            '候选框在快速初筛（缩小的原图和镜像）中需要达到的平均得分，达到才进入复核。',
          ),
        }),
        verifyThreshold: Type.Number({
          minimum: 0.3,
          maximum: 0.99,
          default: 0.7,
          description:
            'Mean score a face needs over four views: the screening look and the second look (centred in 3 face widths at 128 and 192 px), each plain and mirrored.',
          ...label(
            '复核阈值',
            'Verification threshold',
            '人脸在四个视图（初筛与复核：3 倍脸宽居中裁剪，128 与 192 像素，各有原图和镜像）中需要达到的平均得分。',
          ),
        }),
        secondOpinion: Type.Boolean({
          default: true,
          description:
            "Ask a second model (MediaPipe's full-range BlazeFace, made for faces up to 5 m away) about the faces the first one is unsure of: small faces at the back of the room. Off: those are not counted, and a frame takes about a tenth less time.",
          ...label(
            '远距离人脸复核',
            'Second opinion on far faces',
            '对第一个模型拿不准的人脸（多为教室后排的小脸），再请第二个模型（远距离人脸检测模型，适用于 5 米以内的人脸）判断。关闭后这些人脸不计入，每帧处理时间约少十分之一。',
          ),
        }),
        secondOpinionFrom: Type.Number({
          minimum: 0.05,
          maximum: 0.99,
          default: 0.4,
          description:
            'Mean score over the four views from which a candidate below the verification threshold is shown to the second model.',
          ...label(
            '复核下限',
            'Second opinion from',
            '四个视图平均得分低于复核阈值、但达到此值的候选，交给第二个模型判断。',
          ),
        }),
        secondOpinionAccept: Type.Number({
          minimum: 0.05,
          maximum: 0.99,
          default: 0.6,
          description:
            "The second model's mean score (a crop of 4 face widths, plain and mirrored) from which such a candidate counts.",
          ...label(
            '复核通过阈值',
            'Second opinion accepts at',
            '第二个模型（4 倍脸宽的裁剪图，原图和镜像）的平均得分达到此值，该候选才计为人脸。',
          ),
        }),
        threads: Type.Integer({
          minimum: 1,
          maximum: 8,
          default: 1,
          description: 'Threads of the face detector. One leaves the other core to the API and broker.',
          ...label(
            '检测线程数',
            'Detector threads',
            '人脸检测使用的线程数。设为 1 可把另一个 CPU 核心留给接口和消息服务器。',
          ),
        }),
        maxFramePixels: Type.Integer({
          minimum: 307200,
          maximum: 16777216,
          default: 8294400,
          description:
            'Largest camera frame (width × height) decoded: 3840×2160, the largest classroom camera supported. A JPEG whose header declares more is refused before decoding (a small file can declare 16000×16000, about 800 MB decoded).',
          ...label(
            '最大画面像素',
            'Largest frame (pixels)',
            '解码的最大摄像头画面（宽 × 高）：3840×2160，即支持的最大教室摄像头。文件头声明超过此值的 JPEG 在解码前就被拒绝（一个小文件就能声明 16000×16000，解码后约 800 MB）。',
          ),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('人数统计（摄像头）', 'Face count', '用摄像头统计抬头人数所用的人脸检测参数。'),
      },
    ),
    classSize: Type.Integer({
      minimum: 1,
      maximum: 200,
      default: 40,
      description:
        "Students in the room when the morning check has no attendance for today: the head-up rate's denominator.",
      ...label('班级人数', 'Class size', '当天晨检没有出勤数据时按此人数计算，即抬头率的分母。'),
    }),
    maxSnapshotBytes: Type.Integer({
      minimum: 16384,
      maximum: 4194304,
      default: 1048576,
      description: 'Largest JPEG snapshot a camera node may publish over MQTT.',
      ...label('最大快照（字节）', 'Largest snapshot (bytes)', '摄像头节点通过 MQTT 发布的单张 JPEG 快照上限。'),
    }),
    diagnosticCapture: Type.Object(
      {
        maxMinutes: Type.Integer({
          minimum: 1,
          maximum: 60,
          default: 10,
          description: 'Longest diagnostic capture an administrator may switch on; it switches itself off.',
          ...label(
            '最长采集时长（分钟）',
            'Longest capture (minutes)',
            '管理员一次最多能开启多久的诊断采集；到时自动关闭。',
          ),
        }),
        keepHours: Type.Integer({
          minimum: 1,
          maximum: 72,
          default: 24,
          description: 'Captured frames and audio are deleted this long after the capture ended.',
          ...label('采集文件保留（小时）', 'Captures kept (hours)', '采集结束后，保存的画面和音频过这么久删除。'),
        }),
      },
      {
        additionalProperties: false,
        default: {},
        ...label('诊断采集', 'Diagnostic capture', '管理员为调试摄像头和麦克风临时保存画面和声音的限制。'),
      },
    ),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '课堂分析',
      'Lesson analysis',
      '课堂互动分析：S-T 分析、教学模式和抬头率（见 `docs/interaction-analysis.md`）。',
    ),
  },
);
export type AnalysisConfig = Static<typeof AnalysisSchema>;
