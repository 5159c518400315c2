/**
 * Map icons drawn on a canvas and registered with map.addImage: no sprite file, no request.
 * One image per kind and colour; layers pick one with an `icon-image` expression.
 */
import type { GLMap } from './engine.ts';
import { OFFLINE_COLOR, STATE_COLORS } from './palette.ts';

type Draw = (ctx: CanvasRenderingContext2D, color: string) => void;
const SIZE = 32; // css px of the image box

const drawArrow: Draw = (ctx, color) => {
  glow(ctx, color, 13);
  ctx.beginPath();
  ctx.moveTo(16, 4);
  ctx.lineTo(26, 27);
  ctx.lineTo(16, 21.5);
  ctx.lineTo(6, 27);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.strokeStyle = '#021025';
  ctx.lineWidth = 2;
  ctx.lineJoin = 'round';
  ctx.stroke();
  ctx.fill();
};

const drawTruck: Draw = (ctx, color) => {
  glow(ctx, color, 14);
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#021025';
  ctx.lineWidth = 2;
  // cab (front, pointing up) and box
  roundRect(ctx, 10.5, 4, 11, 7, 2);
  ctx.fillStyle = color;
  ctx.stroke();
  ctx.fill();
  roundRect(ctx, 8.5, 12.5, 15, 16, 2);
  ctx.stroke();
  ctx.fill();
  ctx.fillStyle = 'rgba(2,16,37,0.55)';
  ctx.fillRect(11, 15.5, 10, 2);
  ctx.fillRect(11, 20, 10, 2);
  ctx.fillRect(11, 24.5, 10, 2);
};

const drawToilet: Draw = (ctx, color) => {
  glow(ctx, color, 14);
  roundRect(ctx, 6, 6, 20, 20, 4);
  ctx.fillStyle = '#06213f';
  ctx.fill();
  ctx.strokeStyle = color;
  ctx.lineWidth = 2.2;
  ctx.stroke();
  ctx.fillStyle = color;
  ctx.font = '700 10.5px Rajdhani, "Noto Sans SC", sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText('WC', 16, 16.5);
};

const DRAWERS: Record<'vehicle' | 'muckTruck' | 'toilet', Draw> = { vehicle: drawArrow, muckTruck: drawTruck, toilet: drawToilet };

export function iconName(kind: 'vehicle' | 'muckTruck' | 'toilet', state: string): string {
  return `${kind}-${state}`;
}

/** Registers every icon variant; `pixelRatio` should match the physical pixels per CSS pixel the icons are drawn at. */
export function addEntityIcons(map: GLMap, pixelRatio: number): void {
  for (const kind of Object.keys(DRAWERS) as (keyof typeof DRAWERS)[]) {
    const states = { ...STATE_COLORS[kind], offline: OFFLINE_COLOR };
    for (const [state, color] of Object.entries(states)) {
      const name = iconName(kind, state);
      if (map.hasImage(name)) continue;
      map.addImage(name, render(DRAWERS[kind], color, pixelRatio), { pixelRatio });
    }
  }
}

function render(draw: Draw, color: string, ratio: number): ImageData {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = Math.round(SIZE * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('2D canvas unavailable');
  ctx.scale(ratio, ratio);
  draw(ctx, color);
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

function glow(ctx: CanvasRenderingContext2D, color: string, r: number): void {
  const g = ctx.createRadialGradient(16, 16, 2, 16, 16, r + 2);
  g.addColorStop(0, withAlpha(color, 0.45));
  g.addColorStop(1, withAlpha(color, 0));
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, SIZE, SIZE);
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
