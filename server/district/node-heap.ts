/**
 * A binary min-heap of graph nodes keyed by distance, on typed arrays that are reused
 * across searches (a route search runs per vehicle and per dispatch: no garbage per call).
 * Nodes may be pushed more than once; callers skip the stale entries they pop.
 */
export class NodeHeap {
  private nodes = new Int32Array(64);
  private keys = new Float64Array(64);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The smallest key; only meaningful while size > 0. */
  get minKey(): number {
    return this.keys[0]!;
  }

  clear(): void {
    this.count = 0;
  }

  push(node: number, key: number): void {
    if (this.count === this.nodes.length) this.grow();
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.keys[parent]! <= key) break;
      this.nodes[i] = this.nodes[parent]!;
      this.keys[i] = this.keys[parent]!;
      i = parent;
    }
    this.nodes[i] = node;
    this.keys[i] = key;
  }

  /** Removes and returns the node with the smallest key. */
  pop(): number {
    const top = this.nodes[0]!;
    const size = --this.count;
    const lastNode = this.nodes[size]!, lastKey = this.keys[size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && this.keys[child + 1]! < this.keys[child]!) child++;
      if (this.keys[child]! >= lastKey) break;
      this.nodes[i] = this.nodes[child]!;
      this.keys[i] = this.keys[child]!;
      i = child;
    }
    this.nodes[i] = lastNode;
    this.keys[i] = lastKey;
    return top;
  }

  private grow(): void {
    const nodes = new Int32Array(this.nodes.length * 2);
    nodes.set(this.nodes);
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    this.nodes = nodes;
    this.keys = keys;
  }
}
