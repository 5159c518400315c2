/**
 * Movement along the district's roads for emulated terminals: a walk over the road graph
 * (data/<pack>/road-graph.json: nodes [lon, lat], edges [from, to, metres, roadId]) that
 * turns at random at each junction, at a steady speed.
 */
import { readFileSync } from 'node:fs';

export interface RoadGraph {
  nodes: Array<[number, number]>;
  edges: Array<[number, number, number, string]>;
}

export function loadRoadGraph(path: string): RoadGraph {
  return JSON.parse(readFileSync(path, 'utf8')) as RoadGraph;
}

/** Deterministic PRNG (mulberry32): the same seed walks the same roads. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Step { to: number; metres: number }

export class RoadWalker {
  private readonly adjacency: Step[][];

  constructor(private readonly graph: RoadGraph) {
    this.adjacency = graph.nodes.map(() => []);
    for (const [a, b, m] of graph.edges) {
      this.adjacency[a]!.push({ to: b, metres: m });
      this.adjacency[b]!.push({ to: a, metres: m });
    }
  }

  start(random: () => number): WalkState {
    let node = Math.floor(random() * this.graph.nodes.length);
    for (let tries = 0; this.adjacency[node]!.length === 0 && tries < 100; tries++) node = Math.floor(random() * this.graph.nodes.length);
    const step = this.pick(node, -1, random);
    return { from: node, to: step.to, metres: step.metres, along: 0 };
  }

  /** Moves `metres` along the roads; returns the new position and heading. */
  advance(s: WalkState, metres: number, random: () => number): { lon: number; lat: number; course: number } {
    s.along += metres;
    while (s.along >= s.metres) {
      s.along -= s.metres;
      const step = this.pick(s.to, s.from, random);
      s.from = s.to;
      s.to = step.to;
      s.metres = Math.max(step.metres, 1);
    }
    return this.position(s);
  }

  position(s: WalkState): { lon: number; lat: number; course: number } {
    const [x0, y0] = this.graph.nodes[s.from]!;
    const [x1, y1] = this.graph.nodes[s.to]!;
    const f = s.metres > 0 ? s.along / s.metres : 0;
    const dx = (x1 - x0) * Math.cos((y0 * Math.PI) / 180);
    const dy = y1 - y0;
    const course = Math.round(((Math.atan2(dx, dy) * 180) / Math.PI + 360) % 360) % 360;
    return { lon: x0 + (x1 - x0) * f, lat: y0 + (y1 - y0) * f, course };
  }

  /** The next road at a junction: any but the one we came by, unless it is a dead end. */
  private pick(node: number, cameFrom: number, random: () => number): Step {
    const out = this.adjacency[node]!;
    const onward = out.length > 1 ? out.filter((s) => s.to !== cameFrom) : out;
    return onward[Math.floor(random() * onward.length)]!;
  }
}

export interface WalkState { from: number; to: number; metres: number; along: number }
