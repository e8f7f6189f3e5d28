import { describe, expect, it } from 'vitest';
import { useFixture } from '../src/vitest.js';

/*
 * useFixture's promise to the files that use it: nothing before its beforeAll, the started
 * fixture (methods keep their `this`) in the tests, and one close after the block's last test.
 */
class Counter {
  count = 0;
  bump(): number {
    return ++this.count;
  }
}

describe('useFixture', () => {
  const starts: Counter[] = [];
  const closed: Counter[] = [];
  let earlyError: unknown;

  describe('within its block', () => {
    const counter = useFixture(
      'the counter',
      async () => {
        const started = new Counter();
        starts.push(started);
        return started;
      },
      async (c) => {
        closed.push(c);
      },
    );
    try {
      void counter.count;
    } catch (err) {
      earlyError = err;
    }

    it('refuses use before its beforeAll ran, naming the fixture', () => {
      expect(String(earlyError)).toContain('the counter');
    });

    it('forwards reads, writes and method calls to the one started fixture', () => {
      expect(starts).toHaveLength(1);
      expect(counter.bump()).toBe(1);
      const { bump } = counter;
      expect(bump()).toBe(2);
      counter.count = 10;
      expect(starts[0]?.count).toBe(10);
      expect('bump' in counter).toBe(true);
      expect(closed).toEqual([]);
    });
  });

  it('closes it once, after the block’s last test', () => {
    expect(closed).toHaveLength(1);
    expect(closed[0]).toBe(starts[0]);
  });
});
