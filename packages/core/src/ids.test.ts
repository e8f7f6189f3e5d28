import { describe, expect, it } from 'vitest';
import { isObjectIdString } from '@chat/protocol';
import { idTimestamp, newId } from './ids.js';
import { createManualClock, systemClock } from './clock.js';

describe('newId', () => {
  it('makes unique ObjectId hex strings that encode the time', () => {
    const at = new Date('2026-01-05T12:00:00.000Z');
    const ids = Array.from({ length: 10_000 }, () => newId(at));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 10)) expect(isObjectIdString(id)).toBe(true);
    expect(idTimestamp(ids[0] ?? '').toISOString()).toBe('2026-01-05T12:00:00.000Z');
  });

  it('sorts by creation second', () => {
    const a = newId(new Date('2026-01-01T00:00:00Z'));
    const b = newId(new Date('2026-01-01T00:00:01Z'));
    expect(a < b).toBe(true);
  });

  it('rejects non-ids', () => {
    for (const v of ['', 'x'.repeat(24), '65A1B2C3D4E5F60718293A4B', 42, null, { $ne: 1 }]) {
      expect(isObjectIdString(v)).toBe(false);
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
