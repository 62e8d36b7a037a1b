/**
 * Typed errors. Each one quotes what was wrong so that an operator can act on the message alone;
 * tests assert the class, not the text.
 */

export class ClassEdgeError extends Error {
  /** Stable machine-readable code, also used as the API error code. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a configuration file or a request body. */
export interface ValidationIssue {
  /** JSON-pointer-like path, for example `/mqtt/port`. Empty for the document itself. */
  path: string;
  /** What was expected, in words. */
  expected: string;
  /** The offending value as found (undefined when the value is missing). */
  value?: unknown;
  /** 1-based line in the source file, when the source is a file. */
  line?: number;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.path === '' ? '(document)' : issue.path;
  const at = issue.line !== undefined ? ` (line ${issue.line})` : '';
  const got = issue.value === undefined ? 'missing' : `got ${JSON.stringify(issue.value)}`;
  return `${where}${at}: expected ${issue.expected}, ${got}`;
}

/** A configuration that cannot be used. Carries every issue found, not only the first. */
export class ConfigError extends ClassEdgeError {
  readonly issues: ValidationIssue[];
  readonly source: string;
  constructor(source: string, issues: ValidationIssue[]) {
    super(
      'config_invalid',
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join('\n'),
    );
    this.issues = issues;
    this.source = source;
  }
}

/** Input from outside (HTTP body, MQTT payload) that does not match its schema. */
export class ValidationError extends ClassEdgeError {
  readonly issues: ValidationIssue[];
  constructor(what: string, issues: ValidationIssue[]) {
    super('invalid_input', `${what}: ${issues.map(formatIssue).join('; ')}`);
    this.issues = issues;
  }
}

/** Bytes from a device that break its protocol (bad checksum, bad length, unknown frame). */
export class ProtocolError extends ClassEdgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('protocol_error', message, options);
  }
}

/** A device that is unknown, not allowed, or not answering. */
export class DeviceError extends ClassEdgeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('device_error', message, options);
  }
}

/**
 * A refused login or request. The code follows the status, except `login_busy` (429): every login
 * slot is taking a hash, which is no fault of the address asking, so the console says "a moment".
 */
export class AuthError extends ClassEdgeError {
  readonly status: 401 | 403 | 423 | 429;
  readonly retryAfterS: number | undefined;
  constructor(status: 401 | 403 | 423 | 429, message: string, retryAfterS?: number, code?: 'login_busy') {
    super(
      code ?? { 401: 'unauthenticated', 403: 'forbidden', 423: 'locked', 429: 'too_many_attempts' }[status],
      message,
    );
    this.status = status;
    this.retryAfterS = retryAfterS;
  }
}

export class NotFoundError extends ClassEdgeError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class ConflictError extends ClassEdgeError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A part of the appliance that is still being prepared (the media worker building): try again later. */
export class NotReadyError extends ClassEdgeError {
  constructor(message: string) {
    super('not_ready', message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
