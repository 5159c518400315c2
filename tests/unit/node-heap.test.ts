import { describe, expect, it } from 'vitest';
import { NodeHeap } from '../../server/district/node-heap.ts';

describe('NodeHeap', () => {
  it('pops nodes in key order, growing past its initial capacity', () => {
    const heap = new NodeHeap();
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const keys = Array.from({ length: 500 }, () => rand() * 1000);
    keys.forEach((k, node) => heap.push(node, k));
    expect(heap.size).toBe(500);
    const popped: number[] = [];
    while (heap.size > 0) {
      const min = heap.minKey;
      const node = heap.pop();
      expect(keys[node]).toBe(min);
      popped.push(node);
    }
    const order = popped.map((n) => keys[n]!);
    expect(order).toEqual([...keys].sort((a, b) => a - b));
  });

  it('is reusable after clear', () => {
    const heap = new NodeHeap();
    heap.push(1, 5);
    heap.push(2, 3);
    heap.clear();
    expect(heap.size).toBe(0);
    heap.push(9, 1);
    expect(heap.pop()).toBe(9);
  });
});
