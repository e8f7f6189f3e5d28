export { AppError, isAppError, toErrorBody, statusOf, type AppErrorOptions } from './app-error.js';
export { createLogger, REDACT_PATHS, type CreateLoggerOptions, type Logger } from './logger.js';
export {
  createEnvReader,
  ConfigError,
  type Env,
  type EnvReader,
  type ConfigProblem,
} from './env-reader.js';
export { systemClock, createManualClock, type Clock, type ManualClock } from './clock.js';
