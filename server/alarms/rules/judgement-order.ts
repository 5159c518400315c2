/**
 * Entities in the order the rules last judged them, oldest first: a doubly linked list over
 * entity indexes, so that moving one to the back on each judgement costs O(1) and the sweep
 * reads only those whose judgement has aged, not the whole district every tick.
 */
const NONE = -1;

export class JudgementOrder {
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly linked: Uint8Array;
  private readonly at: Float64Array;
  private head = NONE;
  private tail = NONE;

  constructor(size: number) {
    this.next = new Int32Array(size).fill(NONE);
    this.prev = new Int32Array(size).fill(NONE);
    this.linked = new Uint8Array(size);
    this.at = new Float64Array(size);
  }

  /** Entity `i` was judged at `now`: it goes to the back. */
  touch(i: number, now: number): void {
    if (this.linked[i]) {
      if (i === this.tail) {
        this.at[i] = now;
        return;
      }
      this.unlink(i);
    }
    this.linked[i] = 1;
    this.at[i] = now;
    this.prev[i] = this.tail;
    this.next[i] = NONE;
    if (this.tail === NONE) this.head = i;
    else this.next[this.tail] = i;
    this.tail = i;
  }

  /** The entities last judged at or before `cutoff`, oldest first (a copy: judging them reorders the list). */
  due(cutoff: number): number[] {
    const out: number[] = [];
    for (let i = this.head; i !== NONE && this.at[i]! <= cutoff; i = this.next[i]!) out.push(i);
    return out;
  }

  private unlink(i: number): void {
    const p = this.prev[i]!, n = this.next[i]!;
    if (p === NONE) this.head = n;
    else this.next[p] = n;
    if (n === NONE) this.tail = p;
    else this.prev[n] = p;
  }
}
