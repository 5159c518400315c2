/** The past generator's agenda: steps due at a time, run earliest first. */

/** A min-heap of timed steps, ties in the order they were scheduled. */
export class Agenda {
  private heap: { at: number; seq: number; run: () => void | Promise<void> }[] = [];
  private seq = 0;
  get size(): number { return this.heap.length; }
  peek(): number { return this.heap[0]?.at ?? Infinity; }
  push(at: number, run: () => void | Promise<void>): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, run });
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): { at: number; run: () => void | Promise<void> } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (a: { at: number; seq: number }, b: { at: number; seq: number }) => a.at < b.at || (a.at === b.at && a.seq < b.seq);
