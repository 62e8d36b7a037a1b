import { findPreload } from '../../edge/runtime/programs.js';

/**
 * The environment that starts a process with a wall clock a test can step while it runs:
 * libfaketime preloaded straight into it (LD_PRELOAD), reading the offset from `offsetFile` at
 * every call (FAKETIME_NO_CACHE). The monotonic clock is left alone (FAKETIME_DONT_FAKE_MONOTONIC),
 * as on a box whose RTC or NTP answer is wrong.
 *
 * Not through the `faketime` wrapper: the wrapper forks, keeps a named semaphore and shared memory
 * per pid in /dev/shm, and removes them only when it exits normally. Killed -9 (as the soak and the
 * clock tests do), it leaves them behind, and once pids wrap (32768 on CI) the next wrapper given
 * that pid stops with "faketime: sem_open: File exists".
 */
export function steppableClockEnv(offsetFile: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const lib = findPreload('libfaketime');
  if (lib === undefined)
    throw new Error('libfaketime.so.1 not found: apt-get install libfaketime (scripts/test.sh does)');
  // A fixed offset in FAKETIME would win over the timestamp file.
  const { FAKETIME: _fixed, ...env } = base;
  return {
    ...env,
    LD_PRELOAD: env.LD_PRELOAD ? `${lib}:${env.LD_PRELOAD}` : lib,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
