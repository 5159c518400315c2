/**
 * The briefing as one PNG for the meeting: drawn on a 2D canvas from the data on screen —
 * header, KPI cards with deltas, the charts (ECharts getDataURL), the map (a canvas copied in a
 * render event) and the ranking tables as text. No DOM-to-image library: nothing heavy to load,
 * and the picture does not depend on what the browser is scrolled to.
 */
import type { BriefingResponse, RankingRow } from '../../shared/schemas/briefing.ts';
import type { PartyResponse } from '../../shared/schemas/party.ts';
import { formatDelta, formatRate, formatValue } from './format.ts';

export interface ExportInputs {
  briefing: BriefingResponse;
  party: PartyResponse | null;
  title: string;
  periodText: string;
  /** Charts already rendered as images (ECharts getDataURL), with their captions. */
  charts: { caption: string; dataUrl: string }[];
  map: HTMLCanvasElement | null;
  /** Streets and departments in the order shown on screen. */
  streets: RankingRow[];
  departments: RankingRow[];
  labels: { streets: string; departments: string; name: string; map: string; muck: string; party: string; partyLine: string; previous: string };
  /** Indicator name per key, in the screen's language. */
  name: (key: string) => string;
}

const W = 1920;
const FONT = "'Noto Sans SC', 'Noto Sans CJK SC', sans-serif";
const NUM = "'Rajdhani', 'Noto Sans SC', sans-serif";

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('chart image failed to load'));
    img.src = src;
  });
}

function panel(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, title: string): void {
  ctx.fillStyle = 'rgba(9, 34, 68, 0.9)';
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = 'rgba(64, 196, 255, 0.35)';
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  ctx.fillStyle = '#35e3ff';
  ctx.fillRect(x + 12, y + 12, 5, 20);
  ctx.fillStyle = '#eaf7ff';
  ctx.font = `bold 20px ${FONT}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(title, x + 26, y + 22);
}

function table(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, rows: RankingRow[], inputs: ExportInputs): void {
  const cols = ['registered', 'due', 'closureRate', 'onTimeClosureRate', 'onTimeDispatchRate', 'reworkRate'] as const;
  const nameW = w * 0.28;
  const colW = (w - nameW - 40) / cols.length;
  ctx.textBaseline = 'middle';
  ctx.font = `bold 15px ${FONT}`;
  ctx.fillStyle = '#8fe9ff';
  ctx.textAlign = 'left';
  ctx.fillText(inputs.labels.name, x + 40, y);
  ctx.textAlign = 'right';
  cols.forEach((c, i) => ctx.fillText(inputs.name(c), x + nameW + 40 + colW * (i + 1) - 4, y));
  rows.forEach((r, k) => {
    const ry = y + 28 + k * 26;
    if (k % 2 === 0) {
      ctx.fillStyle = 'rgba(53, 227, 255, 0.05)';
      ctx.fillRect(x, ry - 13, w, 26);
    }
    ctx.textAlign = 'center';
    ctx.fillStyle = k < 3 ? '#ffd36b' : '#a9c6e4';
    ctx.font = `bold 16px ${NUM}`;
    ctx.fillText(String(k + 1), x + 18, ry);
    ctx.textAlign = 'left';
    ctx.fillStyle = '#eaf7ff';
    ctx.font = `15px ${FONT}`;
    ctx.fillText(r.name, x + 40, ry, nameW - 6);
    ctx.textAlign = 'right';
    ctx.font = `16px ${NUM}`;
    cols.forEach((c, i) => ctx.fillText(c === 'registered' || c === 'due' ? String(r[c]) : formatRate(r[c]), x + nameW + 40 + colW * (i + 1) - 4, ry));
  });
  ctx.textAlign = 'left';
}

/** Draws the PNG and resolves with it. */
export async function briefingPng(inputs: ExportInputs): Promise<Blob> {
  const b = inputs.briefing;
  const tableH = 86 + Math.max(inputs.streets.length, inputs.departments.length) * 26;
  const H = 90 + 130 + 20 + 380 + 20 + tableH + 20 + 170 + 30;
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  await document.fonts.ready;
  ctx.fillStyle = '#030b1a';
  ctx.fillRect(0, 0, W, H);

  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  ctx.fillStyle = '#eaf7ff';
  ctx.font = `bold 38px ${FONT}`;
  ctx.fillText(`${b.district} · ${inputs.title}`, W / 2, 40);
  ctx.font = `18px ${FONT}`;
  ctx.fillStyle = '#7fb5dc';
  ctx.fillText(inputs.periodText, W / 2, 74);
  ctx.textAlign = 'left';

  // KPI cards
  const cardW = (W - 40 - 9 * 10) / 10;
  b.kpis.forEach((k, i) => {
    const d = b.definitions.find((x) => x.key === k.key)!;
    const x = 20 + i * (cardW + 10);
    const y = 100;
    ctx.fillStyle = 'rgba(53, 227, 255, 0.08)';
    ctx.fillRect(x, y, cardW, 120);
    ctx.fillStyle = '#35e3ff';
    ctx.fillRect(x, y + 118, cardW, 2);
    ctx.textAlign = 'center';
    ctx.fillStyle = '#a9c6e4';
    ctx.font = `16px ${FONT}`;
    ctx.fillText(inputs.name(k.key), x + cardW / 2, y + 20, cardW - 8);
    ctx.fillStyle = '#35e3ff';
    ctx.font = `bold 40px ${NUM}`;
    ctx.fillText(formatValue(k.value, d.unit), x + cardW / 2, y + 60, cardW - 8);
    const delta = formatDelta(k.value, k.previous, d.unit, d.higherIsBetter);
    ctx.fillStyle = delta.tone === 'good' ? '#2ee6a6' : delta.tone === 'bad' ? '#ff6b7a' : '#7f9cbf';
    ctx.font = `15px ${NUM}`;
    ctx.fillText(`${delta.text}  ${inputs.labels.previous} ${formatValue(k.previous, d.unit)}`, x + cardW / 2, y + 98, cardW - 8);
    ctx.textAlign = 'left';
  });

  // Charts and map
  const rowY = 240;
  const rowH = 380;
  const slots = [...inputs.charts.map((c) => ({ caption: c.caption, src: c.dataUrl as string | HTMLCanvasElement }))];
  slots.splice(1, 0, { caption: inputs.labels.map, src: inputs.map ?? '' });
  const slotW = (W - 40 - (slots.length - 1) * 20) / slots.length;
  for (const [i, s] of slots.entries()) {
    const x = 20 + i * (slotW + 20);
    panel(ctx, x, rowY, slotW, rowH, s.caption);
    const img = typeof s.src === 'string' ? (s.src ? await loadImage(s.src) : null) : s.src;
    if (!img) continue;
    const box = { x: x + 10, y: rowY + 44, w: slotW - 20, h: rowH - 54 };
    const iw = img instanceof HTMLImageElement ? img.naturalWidth : img.width;
    const ih = img instanceof HTMLImageElement ? img.naturalHeight : img.height;
    const k = Math.min(box.w / iw, box.h / ih);
    ctx.drawImage(img, box.x + (box.w - iw * k) / 2, box.y + (box.h - ih * k) / 2, iw * k, ih * k);
  }

  // Rankings
  const tY = rowY + rowH + 20;
  const half = (W - 60) / 2;
  panel(ctx, 20, tY, half, tableH, inputs.labels.streets);
  table(ctx, 30, tY + 58, half - 20, inputs.streets, inputs);
  panel(ctx, 40 + half, tY, half, tableH, inputs.labels.departments);
  table(ctx, 50 + half, tY + 58, half - 20, inputs.departments, inputs);

  // Muck by company, party building
  const mY = tY + tableH + 20;
  panel(ctx, 20, mY, half, 170, inputs.labels.muck);
  ctx.font = `16px ${FONT}`;
  b.muck.slice(0, 8).forEach((m, i) => {
    const x = 40 + (i % 2) * (half / 2);
    const y = mY + 62 + Math.floor(i / 2) * 26;
    ctx.fillStyle = m.total > 0 ? '#ff9aa4' : '#a9c6e4';
    ctx.fillText(`${m.company}  ${m.total}（${m.violatingTrucks}/${m.trucks}）`, x, y, half / 2 - 30);
  });
  panel(ctx, 40 + half, mY, half, 170, inputs.labels.party);
  ctx.fillStyle = '#ffd36b';
  ctx.font = `18px ${FONT}`;
  ctx.fillText(inputs.labels.partyLine, 60 + half, mY + 62, half - 40);
  if (inputs.party) {
    ctx.fillStyle = '#d8ecff';
    ctx.font = `15px ${FONT}`;
    const parts = inputs.party.streets.map((s) => `${s.name.replace(/街道$/, '')} ${s.onDuty}/${s.members}`);
    ctx.fillText(parts.slice(0, 7).join('  '), 60 + half, mY + 98, half - 40);
    ctx.fillText(parts.slice(7).join('  '), 60 + half, mY + 126, half - 40);
  }

  return new Promise((resolve, reject) => canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

/** Saves a blob as a file through a temporary link (the browser's download). */
export function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
