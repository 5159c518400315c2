/** Picks items in proportion to their weights (cumulative weights, binary search). */
import type { Rng } from './rng.ts';

export class WeightedPick<T> {
  private readonly items: T[] = [];
  private readonly cum: number[] = [];
  private total = 0;

  constructor(items: readonly T[], weights: readonly number[]) {
    items.forEach((item, i) => {
      const w = weights[i]!;
      if (!(w > 0) || !Number.isFinite(w)) return;
      this.total += w;
      this.items.push(item);
      this.cum.push(this.total);
    });
  }

  get size(): number {
    return this.items.length;
  }

  pick(rng: Rng): T {
    if (this.items.length === 0) throw new RangeError('pick from an empty weighted list');
    const x = rng.next() * this.total;
    let lo = 0, hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo]!;
  }
}
