import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * One logger for the whole appliance; components get children with `component` set.
 * Secrets and personal data never go into log fields: the redaction list is a safety net,
 * not permission to log them.
 */
export function createLogger(opts: { level: LevelWithSilent; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      level: opts.level,
      base: { app: 'classedge' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'pin',
          '*.pin',
          'token',
          '*.token',
          'cookie',
          '*.cookie',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    },
    opts.destination ?? process.stdout,
  );
}

export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component });
}
