import { describe, expect, it } from 'vitest';
import { glidePolicy, keepOneIn } from '../../client/map/marker-budget.ts';

// Worked by hand from the budgets: 2,000 markers of a kind at district zoom; 20,000 gliding
// markers a second, 100 ms the fastest redraw and 500 ms the slowest that still counts as a glide.
describe('marker budget', () => {
  it('hands the map every marker of a district fleet, and of any fleet once zoomed in', () => {
    expect(keepOneIn(0, 11.5, 13)).toBe(1);
    expect(keepOneIn(300, 11.5, 13)).toBe(1);
    expect(keepOneIn(2_000, 11.5, 13)).toBe(1);
    expect(keepOneIn(18_380, 13, 13)).toBe(1);
    expect(keepOneIn(18_380, 15.2, 14)).toBe(1);
  });

  it('thins a city fleet at district zoom to about 2,000 markers', () => {
    expect(keepOneIn(2_001, 11.5, 13)).toBe(2);
    expect(keepOneIn(18_380, 11.5, 13)).toBe(10);
    expect(keepOneIn(18_380, 12.99, 13)).toBe(10);
    expect(keepOneIn(18_380, 13.5, 14)).toBe(10);
  });

  it('lets a district fleet glide at the full 10 fps', () => {
    expect(glidePolicy(0)).toEqual({ glide: true, everyMs: 100 });
    expect(glidePolicy(300)).toEqual({ glide: true, everyMs: 100 });
    expect(glidePolicy(2_000)).toEqual({ glide: true, everyMs: 100 });
  });

  it('slows a bigger fleet in proportion to its size', () => {
    expect(glidePolicy(4_000)).toEqual({ glide: true, everyMs: 200 });
    expect(glidePolicy(10_000)).toEqual({ glide: true, everyMs: 500 });
  });

  it('steps a fleet too big to glide straight to each report', () => {
    expect(glidePolicy(10_001)).toEqual({ glide: false });
    expect(glidePolicy(20_000)).toEqual({ glide: false });
  });
});
