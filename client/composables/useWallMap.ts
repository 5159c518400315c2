import { onBeforeUnmount, shallowRef, watch, type Ref } from 'vue';
import { identityToDisplay, toDisplayFor, type ToDisplay } from '../../shared/basemap.ts';
import type { DistrictGeometry } from '../../shared/district.ts';
import type { WallLayout } from '../../shared/wall-layout.ts';
import { buildWallStyle, districtForBasemap } from '../map/basemap-style.ts';
import { createMap, loadMapConfig, preloadEngine, whenLoaded, type GLMap, type MapConfig, type MapEngineName } from '../map/engine.ts';
import { preloadLabelFonts } from '../map/label-fonts.ts';
import { LABEL_FONT_FAMILY, labelField, LOCALIZED_LABEL_LAYERS } from '../map/offline-style.ts';
import { districtBounds, districtPadding } from '../map/wall-view.ts';
import { useI18n } from '../i18n/useI18n.ts';

/**
 * The wall's one map: created on the configured basemap when the district geometry is known,
 * fitted between the layout's panels, removed with the component. Live layers, picking and
 * the rest attach to `loaded` in their own composables.
 */
export function useWallMap(container: Ref<HTMLElement | null>, district: Ref<DistrictGeometry | null>, scale: Readonly<Ref<number>>, layout: Readonly<Ref<WallLayout>>) {
  const { locale } = useI18n();
  const map = shallowRef<GLMap | null>(null);
  /** True once the style is loaded and sources/layers may be added. */
  const loaded = shallowRef(false);
  const engine = shallowRef<MapEngineName>('maplibre');
  const config = shallowRef<MapConfig | null>(null);
  /** WGS-84 → the basemap's CRS, for everything drawn over it. */
  const toDisplay = shallowRef<ToDisplay>(identityToDisplay);
  /** The district in the basemap's CRS: its extent is the home view. */
  const shownDistrict = shallowRef<DistrictGeometry | null>(null);
  let disposed = false;
  // Config and engine code load in parallel with the district geometry, not after it.
  const configReady = loadMapConfig().then((c) => {
    preloadEngine(c);
    config.value = c;
    return c;
  });

  const stopInit = watch([container, district], async ([el, d]) => {
    if (!el || !d || map.value) return;
    const s = scale.value;
    await preloadLabelFonts(d);
    const c = await configReady;
    if (disposed || map.value) return;
    const shown = districtForBasemap(d, c.basemap);
    const created = await createMap(el, buildWallStyle(shown, locale.value, s, c.basemap), {
      config: c,
      bounds: districtBounds(shown),
      padding: districtPadding(layout.value, s),
      fontFamily: LABEL_FONT_FAMILY,
    });
    if (disposed) {
      created.map.remove();
      return;
    }
    toDisplay.value = toDisplayFor(c.basemap.crs);
    shownDistrict.value = shown;
    engine.value = created.engine;
    map.value = created.map;
    await whenLoaded(created.map);
    if (!disposed) loaded.value = true;
  }, { immediate: true });

  const stopLocale = watch(locale, (loc) => {
    const m = map.value;
    if (!m || !loaded.value) return;
    for (const id of LOCALIZED_LABEL_LAYERS) if (m.getLayer(id)) m.setLayoutProperty(id, 'text-field', labelField(loc));
  });

  // A resized window or a changed layout moves the panels: the district is fitted between them again.
  const stopRefit = watch([layout, scale], () => {
    const m = map.value;
    const d = shownDistrict.value;
    if (!m || !d || !loaded.value) return;
    m.resize();
    m.fitBounds(districtBounds(d), { padding: districtPadding(layout.value, scale.value), duration: 0 });
  });

  onBeforeUnmount(() => {
    disposed = true;
    stopInit();
    stopLocale();
    stopRefit();
    map.value?.remove();
    map.value = null;
    loaded.value = false;
  });

  return { map, loaded, engine, config, toDisplay, shownDistrict };
}
