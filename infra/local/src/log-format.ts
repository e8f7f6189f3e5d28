import { prettyFactory } from 'pino-pretty';

/** Turns one line a child printed into what the terminal shows (without the newline). */
export type LineFormatter = (line: string) => string;

/**
 * The children (gateways, worker) always log JSON lines, which is what log collectors want.
 * On a terminal the runner shows them pino-pretty'd and coloured instead: a person reads
 * them there. Anything that is not a JSON object (the embedded MongoDB's url line, a stack
 * trace) passes through unchanged. Production (NODE_ENV=production) and pipes keep JSON.
 */
export function createLineFormatter(options: {
  isTTY: boolean;
  nodeEnv: string | undefined;
}): LineFormatter {
  if (!options.isTTY || options.nodeEnv === 'production') return (line) => line;
  const pretty = prettyFactory({
    colorize: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The runner's [node-1] prefix already names the process.
    ignore: 'pid,hostname,name,nodeId',
    singleLine: true,
  });
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed !== 'object' || parsed === null || !('level' in parsed)) return line;
      return pretty(parsed).replace(/\n$/, '');
    } catch {
      return line;
    }
  };
}
