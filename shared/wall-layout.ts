/**
 * The wall's layouts. A 16:9 screen (1920×1080, 3840×2160) shows two panel columns beside the
 * map; an ultra-wide 32:9 one (5760×2160, 7680×2160) uses its width for two more columns
 * instead of letterboxing. Chosen by the wall's URL (`?layout=`), else by configuration
 * (`WALL_LAYOUT`), where `auto` picks by the screen's aspect ratio.
 */
export const WALL_LAYOUT_SETTINGS = ['auto', 'standard', 'wide'] as const;
export type WallLayoutSetting = (typeof WALL_LAYOUT_SETTINGS)[number];
export type WallLayout = Exclude<WallLayoutSetting, 'auto'>;

/** Width ÷ height from which `auto` picks the wide layout: 21:9 (2.33) stays standard, 32:9 (3.56) is wide. */
export const WIDE_ASPECT = 2.4;

/** Design size in CSS pixels at scale 1: panels are laid out on it and scaled to the screen's height. */
export const DESIGN_HEIGHT = 1080;
export const DESIGN_WIDTH: Record<WallLayout, number> = { standard: 1920, wide: 2880 };

export function isWallLayoutSetting(v: unknown): v is WallLayoutSetting {
  return typeof v === 'string' && (WALL_LAYOUT_SETTINGS as readonly string[]).includes(v);
}

/** The layout a screen of `width`×`height` CSS px shows for a setting. */
export function chooseWallLayout(setting: WallLayoutSetting, width: number, height: number): WallLayout {
  if (setting !== 'auto') return setting;
  return height > 0 && width / height >= WIDE_ASPECT ? 'wide' : 'standard';
}

/**
 * The URL wins over the server's setting, so one wall PC can be told without touching the
 * server; a value the URL cannot mean is reported (and the setting used) rather than guessed.
 */
export function layoutSettingFrom(urlValue: string | null | undefined, configured: WallLayoutSetting): { setting: WallLayoutSetting; error?: string } {
  if (urlValue === null || urlValue === undefined || urlValue === '') return { setting: configured };
  if (isWallLayoutSetting(urlValue)) return { setting: urlValue };
  return { setting: configured, error: `layout=${JSON.stringify(urlValue)}: must be one of ${WALL_LAYOUT_SETTINGS.join(', ')}` };
}

/** Panels scale with the screen so that the design size fits; the map never scales. */
export function wallScale(layout: WallLayout, width: number, height: number): number {
  return Math.min(width / DESIGN_WIDTH[layout], height / DESIGN_HEIGHT);
}

/** Width of one side column and the gap after it, in design px (PanelFrame columns). */
export const COLUMN_WIDTH = 450;
export const COLUMN_GAP = 14;
export const EDGE = 22;

/** Where the map's free middle starts from each side, in design px: the columns plus a margin. */
export function sideInset(layout: WallLayout): number {
  const columns = layout === 'wide' ? 2 : 1;
  return EDGE + columns * COLUMN_WIDTH + (columns - 1) * COLUMN_GAP + 28;
}
