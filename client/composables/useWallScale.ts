import { onBeforeUnmount, onMounted, readonly, ref } from 'vue';

/** The wall is designed at 1920×1080; panels scale by this factor, the map never does. */
export const DESIGN_WIDTH = 1920;
export const DESIGN_HEIGHT = 1080;

export function useWallScale() {
  const scale = ref(1);
  const width = ref(DESIGN_WIDTH);
  const height = ref(DESIGN_HEIGHT);
  const measure = () => {
    width.value = window.innerWidth;
    height.value = window.innerHeight;
    scale.value = Math.min(window.innerWidth / DESIGN_WIDTH, window.innerHeight / DESIGN_HEIGHT);
  };
  measure();
  onMounted(() => window.addEventListener('resize', measure));
  onBeforeUnmount(() => window.removeEventListener('resize', measure));
  return { scale: readonly(scale), width: readonly(width), height: readonly(height) };
}
