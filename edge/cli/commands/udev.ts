import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { attachedAdapters, parseRole, udevRules } from '../../provision/udev.js';
import { print } from '../io.js';

export function registerUdev(program: Command): void {
  program
    .command('udev-rules')
    .description(
      'udev rules naming each USB-serial adapter by role from its serial number (/dev/classedge-<role>), so a replugged adapter keeps its role.',
    )
    .option(
      '--role <role=serial[:if]>',
      'a role and its adapter, e.g. modbus=A50285BI (repeatable)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--group <group>', 'group owning the devices (the service user is in it)', 'dialout')
    .option(
      '--out <file>',
      'write the rules here (e.g. /etc/udev/rules.d/99-classedge-serial.rules) instead of printing them',
    )
    .option('--scan', 'list the adapters plugged in now, with their serial numbers')
    .option('--json', 'print as JSON')
    .action((opts: { role: string[]; group: string; out?: string; scan?: boolean; json?: boolean }) => {
      if (opts.scan) {
        const found = attachedAdapters();
        print(opts, found, () =>
          found.length
            ? found.map((a) => `${a.serial ?? '?'}\t${a.name}`).join('\n')
            : 'no USB-serial adapters found in /dev/serial/by-id',
        );
        return;
      }
      const text = udevRules(opts.role.map(parseRole), opts.group);
      if (opts.out) {
        writeFileSync(opts.out, text, { mode: 0o644 });
        process.stderr.write(
          `wrote ${opts.out}; now: udevadm control --reload && udevadm trigger --subsystem-match=tty\n`,
        );
      } else process.stdout.write(text);
    });
}
