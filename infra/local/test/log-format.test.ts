import { describe, expect, it } from 'vitest';
import { createLineFormatter } from '../src/log-format.js';

const line = JSON.stringify({
  level: 30,
  time: 1796276595031,
  pid: 1,
  hostname: 'vm',
  name: 'gateway',
  nodeId: 'node-1',
  port: 8081,
  msg: 'gateway listening',
});

describe('createLineFormatter', () => {
  it('keeps JSON lines as they are when stdout is not a terminal, or in production', () => {
    expect(createLineFormatter({ isTTY: false, nodeEnv: undefined })(line)).toBe(line);
    expect(createLineFormatter({ isTTY: true, nodeEnv: 'production' })(line)).toBe(line);
  });

  it('pretty-prints pino lines on a terminal: level, message, fields, ANSI colours', () => {
    const out = createLineFormatter({ isTTY: true, nodeEnv: 'development' })(line);
    expect(out).not.toContain('{"level"');
    expect(out).toContain('INFO');
    expect(out).toContain('gateway listening');
    expect(out).toContain('8081');
    expect(out).toContain('\u001b[');
    expect(out).not.toContain('\n');
  });

  it('passes lines that are not pino JSON through', () => {
    const format = createLineFormatter({ isTTY: true, nodeEnv: undefined });
    for (const raw of ['{"url":"mongodb://x"}', 'Error: boom', '{not json'])
      expect(format(raw)).toBe(raw);
  });
});
