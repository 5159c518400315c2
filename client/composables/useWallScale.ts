import { computed, onBeforeUnmount, onMounted, readonly, ref, type Ref } from 'vue';
import { chooseWallLayout, DESIGN_HEIGHT, DESIGN_WIDTH, wallScale, type WallLayoutSetting } from '../../shared/wall-layout.ts';

export { DESIGN_HEIGHT };

/**
 * The wall's layout and panel scale for the window's size: panels are laid out on the
 * layout's design size and scaled by `scale`; the map never is.
 */
export function useWallScale(setting: Readonly<Ref<WallLayoutSetting>> = ref('auto')) {
  const width = ref(window.innerWidth || DESIGN_WIDTH.standard);
  const height = ref(window.innerHeight || DESIGN_HEIGHT);
  const measure = () => {
    width.value = window.innerWidth;
    height.value = window.innerHeight;
  };
  measure();
  onMounted(() => window.addEventListener('resize', measure));
  onBeforeUnmount(() => window.removeEventListener('resize', measure));
  const layout = computed(() => chooseWallLayout(setting.value, width.value, height.value));
  const scale = computed(() => wallScale(layout.value, width.value, height.value));
  return { scale, width: readonly(width), height: readonly(height), layout };
}
