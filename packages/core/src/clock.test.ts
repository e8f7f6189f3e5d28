import { describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from './clock.js';

describe('clocks', () => {
  it('manual clock moves only when told', () => {
    const clock = createManualClock(new Date('2026-01-05T12:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2026-01-05T12:00:00.000Z');
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2026-01-05T12:00:01.500Z');
    expect(Math.abs(systemClock.now().getTime() - Date.now())).toBeLessThan(1000);
  });
});
