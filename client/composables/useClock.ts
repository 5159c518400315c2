import { onBeforeUnmount, onMounted, ref } from 'vue';

/** The current time, ticking once a second while the component lives. */
export function useClock() {
  const now = ref(new Date());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => (now.value = new Date()), 1000);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
