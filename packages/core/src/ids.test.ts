import { describe, expect, it } from 'vitest';
import { isObjectIdHex } from './ids.js';
import { createManualClock, systemClock } from './clock.js';

describe('isObjectIdHex', () => {
  it('rejects non-ids', () => {
    for (const v of ['', 'x'.repeat(24), '65A1B2C3D4E5F60718293A4B', 42, null, { $ne: 1 }]) {
      expect(isObjectIdHex(v)).toBe(false);
    }
  });
});

describe('clocks', () => {
  it('manual clock moves only when told', () => {
    const clock = createManualClock(new Date('2026-01-05T12:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2026-01-05T12:00:00.000Z');
    clock.advance(1500);
    expect(clock.now().toISOString()).toBe('2026-01-05T12:00:01.500Z');
    expect(Math.abs(systemClock.now().getTime() - Date.now())).toBeLessThan(1000);
  });
});
