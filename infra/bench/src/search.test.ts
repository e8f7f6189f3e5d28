import { describe, expect, it } from 'vitest';
import { bestPassing, nextRate, type SearchPoint } from './search.js';

const opts = { startRate: 100, maxRate: 10_000, bisectSteps: 3 };

/** Runs the search against a system that passes every rate ≤ capacity. */
function simulate(capacity: number, options = opts): SearchPoint[] {
  const points: SearchPoint[] = [];
  for (let rate = nextRate(points, options); rate !== undefined; rate = nextRate(points, options)) {
    points.push({ rate, passed: rate <= capacity });
    if (points.length > 50) throw new Error('search did not terminate');
  }
  return points;
}

describe('nextRate', () => {
  it('doubles from the start rate until a step fails, then bisects', () => {
    const points = simulate(700);
    expect(points.map((p) => p.rate)).toEqual([100, 200, 400, 800, 600, 700, 750]);
    expect(bestPassing(points)?.rate).toBe(700);
  });

  it('stops at the cap when nothing fails', () => {
    const points = simulate(1e9, { ...opts, maxRate: 1000 });
    expect(points.map((p) => p.rate)).toEqual([100, 200, 400, 800, 1000]);
    expect(points.every((p) => p.passed)).toBe(true);
  });

  it('bisects below the start rate when the first step fails', () => {
    const points = simulate(30);
    expect(points.map((p) => p.rate)).toEqual([100, 50, 25, 38]);
    expect(bestPassing(points)?.rate).toBe(25);
  });

  it('makes no bisect step when bisectSteps is 0', () => {
    expect(simulate(700, { ...opts, bisectSteps: 0 }).map((p) => p.rate)).toEqual([
      100, 200, 400, 800,
    ]);
  });

  it('stops bisecting once the bracket is within the resolution', () => {
    const points: SearchPoint[] = [
      { rate: 1000, passed: true },
      { rate: 1040, passed: false },
    ];
    expect(nextRate(points, opts)).toBeUndefined();
  });
});
