import { computed, ref } from 'vue';
import { zh, type MessageKey } from './zh.ts';
import { en } from './en.ts';

export type Locale = 'zh' | 'en';
const STORAGE_KEY = 'cityops.locale';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { zh, en };

function initialLocale(): Locale {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

// One locale for the whole app: module scope, shared by every caller.
const locale = ref<Locale>(initialLocale());

function t(key: MessageKey, params?: Record<string, string | number>): string {
  let text: string = dictionaries[locale.value][key] ?? key;
  if (params) for (const [name, value] of Object.entries(params)) text = text.replace(`{${name}}`, String(value));
  return text;
}

function setLocale(next: Locale): void {
  locale.value = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // storage may be disabled on locked-down wall PCs; the switch still works for this session
  }
}

export function useI18n() {
  return {
    locale: computed(() => locale.value),
    t,
    setLocale,
    toggleLocale: () => setLocale(locale.value === 'zh' ? 'en' : 'zh'),
  };
}
