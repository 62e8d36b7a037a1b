import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { provision, type ProvisionOutcome } from '../../provision/provision.js';
import { checkSpec, mergeSpec, readSpecFile, type ProvisionSpec } from '../../provision/spec.js';
import { Prompter, askMissing } from '../../provision/prompt.js';
import { renderDetail, TEXT, type Detail } from '../../provision/text.js';
import { readEnrolment } from '../../sync/keys.js';
import { DB_FILE } from '../../store/db.js';
import {
  cliActor,
  configFile,
  overridesFrom,
  print,
  readSecret,
  readTokenOption,
  resolveConfig,
  withStore,
  type CommonOptions,
} from '../io.js';
import { loadConfig } from '../../config/load.js';
import { ClassEdgeError } from '../../errors.js';
import { displayWidth, padColumns, resolveLang, type Lang } from '../lang.js';

interface ProvisionOptions extends CommonOptions {
  file?: string;
  district?: string;
  token?: string;
  tokenFile?: string;
  districtCa?: string;
  id?: string;
  name?: string;
  timezone?: string;
  districtName?: string;
  school?: string;
  grade?: string;
  class?: string;
  room?: string;
  admin?: string;
  adminDisplayName?: string;
  adminPasswordFile?: string;
  interactive?: boolean;
  tls?: boolean;
  tlsDays: string;
  tlsHost: string[];
  force?: boolean;
  standalone?: boolean;
  lang?: string;
}

/** What the technician reads: every step and the doctor's checks, then what to do next. */
export function provisionReport(lang: Lang, { result, details }: ProvisionOutcome): string {
  const t = TEXT[lang];
  const marks = [...Object.values(t.status), ...Object.values(t.doctorStatus)];
  const markWidth = Math.max(...marks.map(displayWidth));
  const mark = (m: string): string => padColumns(m, markWidth);
  const labelWidth = Math.max(15, ...result.steps.map((s) => displayWidth(t.steps[s.step]) + 1));
  const standalone = details.find((d): d is Extract<Detail, { msg: 'standalone' }> => d.msg === 'standalone');
  return [
    t.summary.heading(result.applianceId, result.enrolmentCode),
    ...result.steps.map(
      (s, i) =>
        `${mark(t.status[s.status])}  ${padColumns(t.steps[s.step], labelWidth)} ${details[i] ? renderDetail(lang, details[i]) : s.detail}`,
    ),
    t.summary.doctor,
    ...result.doctor.map(
      (r) =>
        `${mark(t.doctorStatus[r.status])}  ${padColumns(r.name, labelWidth)} ${r.detail}${r.fix ? `\n      -> ${r.fix}` : ''}`,
    ),
    '',
    ...(result.ok
      ? result.standalone
        ? [t.summary.standalone(result.applianceId), t.summary.enrolLater(t.enrolLater(standalone?.config ?? ''))]
        : [t.summary.ok(result.applianceId)]
      : [t.summary.incomplete]),
  ].join('\n');
}

function fromFlags(o: ProvisionOptions): ProvisionSpec {
  return checkSpec(
    JSON.parse(
      JSON.stringify({
        district: { url: o.district, token: o.token, caFile: o.districtCa },
        appliance: { id: o.id, name: o.name, timezone: o.timezone },
        classroom: { district: o.districtName, school: o.school, grade: o.grade, class: o.class, room: o.room },
        admin: { username: o.admin, displayName: o.adminDisplayName },
      }),
    ),
    'flags',
  );
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description(
      'Set up this box in one go: classroom identity, key pair, enrolment with the district (one-time token; or --standalone, no district for now), its first configuration, the first admin, a serial-port check, then the doctor. Safe to run again. Speaks Chinese; English with --lang en or an English locale.',
    )
    .option('-f, --file <yaml>', 'provisioning file (from classedge-district provision-bulk); flags override it')
    .option('--district <url>', 'district receiver URL')
    .option(
      '--token-file <file>',
      'read the one-time enrolment token from this file (or give it in the provisioning file, or at the prompt)',
    )
    .option('--token <token>', 'the token on the command line (deprecated: visible in ps)')
    .option('--district-ca <file>', "PEM of the district's CA (sync.districtCaFile)")
    .option(
      '--force',
      'on a box enrolled with another district: re-enrol with this one, replacing the pinned district key (audited)',
    )
    .option('--id <id>', 'appliance id, e.g. room-101')
    .option('--name <name>', 'name shown on the panel')
    .option('--timezone <tz>', 'IANA time zone')
    .option('--district-name <name>', 'classroom label: district')
    .option('--school <name>', 'classroom label: school')
    .option('--grade <grade>', 'classroom label: grade')
    .option('--class <class>', 'classroom label: class')
    .option('--room <room>', 'classroom label: room')
    .option(
      '--admin <username>',
      'first admin (made only when there is none); password from a prompt or standard input',
    )
    .option('--admin-display-name <name>', "first admin's display name")
    .option('--admin-password-file <file>', "read the first admin's password from this file instead")
    .option('--interactive', 'ask for what is missing (the default on a terminal)')
    .option(
      '--standalone',
      'no district for now (a school that enrols later): everything else is set up, enrolment is skipped, and the box runs standalone until classedge enrol; at a prompt, an empty district URL chooses the same',
    )
    .option(
      '--lang <lang>',
      'language of the prompts and the report: zh-CN (the default) or en; without it, English only when LC_ALL, LC_MESSAGES or LANG starts with en',
    )
    .option(
      '--tls',
      'HTTPS and MQTT over TLS on the LAN with a self-signed certificate in <data dir>/tls/ (kept when present; see classedge tls generate): the default',
    )
    .option(
      '--no-tls',
      'TLS ends elsewhere (a proxy): no certificate; plain HTTP and MQTT on the LAN, recorded as http.plaintextLan and mqtt.plaintextLan (doctor warns)',
    )
    .option('--tls-days <n>', 'validity of a certificate made for TLS, in days', '825')
    .option(
      '--tls-host <name>',
      'a DNS name or IP address for the certificate made for TLS (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('-c, --config <file>', 'configuration file to write (default: <data dir>/config.yaml)')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--http-port <port>', 'HTTP port (env CLASSEDGE_HTTP_PORT)')
    .option('--mqtt-port <port>', 'MQTT port (env CLASSEDGE_MQTT_PORT)')
    .option('--json', 'print as JSON')
    .action(async (opts: ProvisionOptions) => {
      const lang = resolveLang(opts.lang);
      const t = TEXT[lang];
      if (opts.standalone && (opts.district !== undefined || opts.token !== undefined || opts.tokenFile !== undefined))
        throw new ClassEdgeError('invalid_input', t.errors.standaloneWithDistrict);
      if (opts.token !== undefined || opts.tokenFile !== undefined)
        opts.token = await readTokenOption(opts, '', t.errors.tokenOnCommandLine);
      let spec = mergeSpec(opts.file ? readSpecFile(opts.file) : {}, fromFlags(opts));
      // The configuration file named may not exist yet on a fresh box: provisioning writes it.
      const named = configFile(opts);
      const { config, source } =
        named !== undefined && !existsSync(named)
          ? {
              config: loadConfig(undefined, overridesFrom(opts)),
              source: { file: resolve(named), overrides: overridesFrom(opts) },
            }
          : resolveConfig(opts);
      const dbFile = join(config.dataDir, DB_FILE);
      const needAdmin = !existsSync(dbFile) || withStore(config, (s) => s.users.countAdmins() === 0);
      const interactive = opts.interactive === true || (process.stdin.isTTY && !opts.json);
      let prompter: Prompter | undefined;
      let standalone = opts.standalone === true;
      if (interactive) {
        prompter = new Prompter(process.stdin, process.stderr, t.ask);
        prompter.say(t.prompts.intro);
        const asked = await askMissing(prompter, spec, {
          text: t,
          needAdmin,
          askDistrict: !standalone && readEnrolment(config.dataDir) === undefined,
        });
        spec = checkSpec(asked.spec, 'answers');
        standalone ||= asked.standalone;
      }
      const adminPassword = async (): Promise<string> => {
        if (opts.adminPasswordFile) return readFileSync(opts.adminPasswordFile, 'utf8').split('\n')[0] ?? '';
        if (prompter && !process.stdin.isTTY) return (await prompter.ask(t.prompts.adminPassword)) ?? '';
        prompter?.close();
        prompter = undefined;
        return readSecret(t.prompts.adminPasswordHidden(config.auth.passwordMinLength));
      };
      let outcome: ProvisionOutcome;
      try {
        const withTls = opts.tls !== false;
        if (withTls && !/^\d+$/.test(opts.tlsDays))
          throw new ClassEdgeError('invalid_input', t.errors.tlsDays(opts.tlsDays));
        outcome = await provision(spec, {
          source,
          adminPassword,
          actor: cliActor(),
          tls: withTls ? { days: Number(opts.tlsDays), hosts: opts.tlsHost } : false,
          force: opts.force === true,
          standalone,
        });
      } finally {
        prompter?.close();
      }
      const { result } = outcome;
      print(opts, result, () => provisionReport(lang, outcome));
      if (!result.ok) process.exitCode = 1;
    });
}
