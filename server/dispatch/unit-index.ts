/**
 * Spatial buckets over unit positions, kept current from the change stream, so that the
 * straight-line shortlist of a recommendation looks at the few cells around a case rather than
 * at every unit. Cells are squares on a local equirectangular plane.
 */
const M_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180;

export interface IndexedPoint {
  id: string;
  lon: number;
  lat: number;
}

export interface NearHit {
  id: string;
  straightM: number;
}

export class UnitIndex {
  private readonly cells = new Map<number, Map<string, IndexedPoint>>();
  private readonly where = new Map<string, number>();
  private readonly mPerDegLon: number;

  constructor(originLat: number, private readonly cellM = 500) {
    this.mPerDegLon = M_PER_DEG_LAT * Math.cos((originLat * Math.PI) / 180);
  }

  get size(): number {
    return this.where.size;
  }

  /** Puts or moves a unit. */
  set(id: string, lon: number, lat: number): void {
    const cell = this.cellOf(this.col(lon), this.row(lat));
    const old = this.where.get(id);
    if (old !== undefined && old !== cell) this.cells.get(old)?.delete(id);
    let bucket = this.cells.get(cell);
    if (!bucket) this.cells.set(cell, (bucket = new Map()));
    bucket.set(id, { id, lon, lat });
    this.where.set(id, cell);
  }

  delete(id: string): void {
    const cell = this.where.get(id);
    if (cell === undefined) return;
    this.cells.get(cell)?.delete(id);
    this.where.delete(id);
  }

  /**
   * The `k` nearest units that pass `accept`, nearest first (ties by id). Rings of cells grow
   * around the point until k are found and no unseen cell can hold a nearer one.
   */
  nearest(lon: number, lat: number, k: number, accept: (id: string) => boolean): NearHit[] {
    const cx = this.col(lon), cy = this.row(lat);
    const px = lon * this.mPerDegLon, py = lat * M_PER_DEG_LAT;
    const found: NearHit[] = [];
    let seen = 0;
    for (let r = 0; seen < this.where.size; r++) {
      // Every cell on ring r is at least (r - 1) cell sides from the point.
      if (found.length >= k && (r - 1) * this.cellM > found[k - 1]!.straightM) break;
      for (let gy = cy - r; gy <= cy + r; gy++) {
        const edgeRow = gy === cy - r || gy === cy + r;
        for (let gx = cx - r; gx <= cx + r; gx += edgeRow || r === 0 ? 1 : 2 * r) {
          const bucket = this.cells.get(this.cellOf(gx, gy));
          if (!bucket) continue;
          seen += bucket.size;
          for (const p of bucket.values()) {
            if (!accept(p.id)) continue;
            found.push({ id: p.id, straightM: Math.hypot(p.lon * this.mPerDegLon - px, p.lat * M_PER_DEG_LAT - py) });
          }
        }
      }
      if (found.length > k) {
        found.sort((a, b) => a.straightM - b.straightM || (a.id < b.id ? -1 : 1));
        found.length = k;
      } else found.sort((a, b) => a.straightM - b.straightM || (a.id < b.id ? -1 : 1));
    }
    return found;
  }

  private col(lon: number): number {
    return Math.floor((lon * this.mPerDegLon) / this.cellM);
  }

  private row(lat: number): number {
    return Math.floor((lat * M_PER_DEG_LAT) / this.cellM);
  }

  /** Cells keyed in one number; columns and rows stay far below 2^20 for any district on Earth at ≥ 50 m cells. */
  private cellOf(col: number, row: number): number {
    return (row + 2_000_000) * 4_194_304 + (col + 2_000_000);
  }
}
