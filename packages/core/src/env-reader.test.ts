import { describe, expect, it } from 'vitest';
import { ConfigError, createEnvReader } from './env-reader.js';

function problemsOf(fn: () => void): Array<{ name: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('createEnvReader', () => {
  it('reads typed values and applies defaults', () => {
    const r = createEnvReader({
      NAME: ' node-1 ',
      PORT: '8081',
      FLAG: 'yes',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ORIGINS: 'a, b,,c',
      TTL: '15m',
      EMPTY: '',
      MODE: 'prod',
    });
    expect(r.str('NAME')).toBe('node-1');
    expect(r.int('PORT', { min: 1, max: 65535 })).toBe(8081);
    expect(r.bool('FLAG')).toBe(true);
    expect(r.url('REDIS_URL', { protocols: ['redis:'] })).toBe('redis://127.0.0.1:6379');
    expect(r.list('ORIGINS')).toEqual(['a', 'b', 'c']);
    expect(r.duration('TTL')).toBe(900_000);
    expect(r.int('MISSING', { default: 3 })).toBe(3);
    expect(r.str('EMPTY', { default: 'x' })).toBe('x');
    expect(r.str('EMPTY', { optional: true })).toBeUndefined();
    expect(r.oneOf('MODE', ['dev', 'prod'] as const)).toBe('prod');
    expect(() => r.done()).not.toThrow();
  });

  it.each([
    ['int', { V: '12x' }, (r: ReturnType<typeof createEnvReader>) => r.int('V'), 'integer'],
    [
      'int min',
      { V: '0' },
      (r: ReturnType<typeof createEnvReader>) => r.int('V', { min: 1 }),
      '≥ 1',
    ],
    [
      'int max',
      { V: '70000' },
      (r: ReturnType<typeof createEnvReader>) => r.int('V', { max: 65535 }),
      '≤ 65535',
    ],
    ['bool', { V: 'maybe' }, (r: ReturnType<typeof createEnvReader>) => r.bool('V'), 'true/false'],
    [
      'url',
      { V: 'not a url' },
      (r: ReturnType<typeof createEnvReader>) => r.url('V'),
      'absolute URL',
    ],
    [
      'url protocol',
      { V: 'http://x' },
      (r: ReturnType<typeof createEnvReader>) => r.url('V', { protocols: ['redis:'] }),
      'redis:',
    ],
    [
      'duration',
      { V: '5 minutes' },
      (r: ReturnType<typeof createEnvReader>) => r.duration('V'),
      'duration',
    ],
    [
      'oneOf',
      { V: 'x' },
      (r: ReturnType<typeof createEnvReader>) => r.oneOf('V', ['a', 'b']),
      'one of a, b',
    ],
    ['required', {}, (r: ReturnType<typeof createEnvReader>) => r.str('V'), 'required'],
  ] as const)('reports a bad %s', (_label, env, get, fragment) => {
    const r = createEnvReader(env);
    get(r);
    const problems = problemsOf(() => r.done());
    expect(problems).toHaveLength(1);
    expect(problems[0]?.name).toBe('V');
    expect(problems[0]?.message).toContain(fragment);
  });

  it('parses durations with every unit', () => {
    const r = createEnvReader({ A: '250ms', B: '15s', C: '2h', D: '1d', E: '1500' });
    expect([
      r.duration('A'),
      r.duration('B'),
      r.duration('C'),
      r.duration('D'),
      r.duration('E'),
    ]).toEqual([250, 15_000, 7_200_000, 86_400_000, 1500]);
  });

  it('throws one error naming every bad variable, including cross-field problems', () => {
    const r = createEnvReader({ PORT: 'abc', NODES: '-1', JWT_SECRET: '' });
    r.int('PORT');
    r.int('NODES', { min: 1 });
    r.str('JWT_SECRET');
    r.problem('LIMIT_A', 'must be below LIMIT_B');
    let message = '';
    const problems = problemsOf(() => {
      try {
        r.done();
      } catch (err) {
        message = (err as Error).message;
        throw err;
      }
    });
    expect(problems.map((p) => p.name)).toEqual(['PORT', 'NODES', 'JWT_SECRET', 'LIMIT_A']);
    for (const name of ['PORT', 'NODES', 'JWT_SECRET', 'LIMIT_A']) expect(message).toContain(name);
  });
});
