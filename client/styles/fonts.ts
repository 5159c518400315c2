/**
 * The bundled fonts of the screens that need a fixed look at any distance — the wall, the
 * console, the login and the crew's phone page: Noto Sans SC for Chinese, Rajdhani for figures.
 * Imported by those screens, not by main.ts, so their ~100 KiB of @font-face rules (one per
 * unicode-range subset) stay out of the citizens' report page, which uses the phone's own font.
 */
import '@fontsource/noto-sans-sc/400.css';
import '@fontsource/noto-sans-sc/700.css';
import '@fontsource/rajdhani/500.css';
import '@fontsource/rajdhani/600.css';
import '@fontsource/rajdhani/700.css';
