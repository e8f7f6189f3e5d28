import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  /** @default 'info' */
  level?: LevelWithSilent;
  name: string;
  /**
   * Human-readable, coloured output through the `pino-pretty` transport (a dependency of this
   * package, so pino resolves it from here). For terminals only: it costs a worker thread.
   * @default false
   */
  pretty?: boolean;
  /** Where JSON lines go (tests capture them here). @default stdout */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ nodeId }`. */
  base?: Record<string, unknown>;
}

/**
 * Paths never written to logs (docs/DESIGN.md#decision-10): credentials always, and message text
 * (`text`, `*.text`) at every level, which is stricter than "not at info" and needs no
 * per-level logic. pino's `*` matches exactly one level of nesting.
 */
export const REDACT_PATHS: readonly string[] = [
  'password',
  'token',
  'accessToken',
  'authorization',
  'secret',
  'text',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.authorization',
  '*.secret',
  '*.text',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export function createLogger(options: CreateLoggerOptions): Logger {
  const config = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    ...(options.base === undefined ? {} : { base: options.base }),
  };
  if (options.pretty === true && options.destination === undefined) {
    return pino({ ...config, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
