/**
 * One error base for everything Recon throws on purpose. Each carries a stable `code` (what
 * happened, for logs, metrics and tests), the exit code the CLI returns for it, and where it helps
 * a `hint` that says what to do. The CLI prints `message` and `hint` on one or two lines; the
 * stack only with LOG_LEVEL=debug.
 *
 * @example
 * throw new ReconError('policy.unknown_field', 'check payment-status: target.field "deal_stage" is not a hubspot deals property', {
 *   hint: 'did you mean "dealstage"?', exitCode: 2,
 * });
 */
export class ReconError extends Error {
  override readonly name: string = 'ReconError';
  /** Stable, dotted: `config.invalid`, `policy.unknown_field`, `api.unauthorized`, `db.unreachable`. */
  readonly code: string;
  /** 2: configuration or usage; 1: something failed while running. */
  readonly exitCode: 1 | 2;
  /** What to do about it, when there is something to say. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: { exitCode?: 1 | 2; hint?: string | undefined; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint;
  }
}

/** A configuration or usage problem: the CLI prints `message` and exits with code 2. */
export class ConfigError extends ReconError {
  override readonly name: string = 'ConfigError';
  constructor(message: string, options: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(options.code ?? 'config.invalid', message, { exitCode: 2, hint: options.hint, cause: options.cause });
  }
}

/** The text of anything thrown, for a log line or a stored error; never a stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}
