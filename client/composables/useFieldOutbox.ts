import { onBeforeUnmount, shallowRef } from 'vue';
import { ActionQueue, type FieldAction, type QueueState } from '../field/action-queue.ts';
import { browserScheduler, HttpFieldTransport, localQueueStorage } from '../field/http-transport.ts';

/**
 * The crew's outbox on this page: the queue (client/field/action-queue.ts) over the real API,
 * kicked when the phone comes back online or the page becomes visible again. Its state reaches
 * Vue as one immutable snapshot per change. The timer ends on unmount; the stored queue stays.
 */
export function useFieldOutbox(username: string, token: () => string | null, onSent: () => void) {
  const queue = new ActionQueue(new HttpFieldTransport(token), localQueueStorage(username), browserScheduler, username);
  const state = shallowRef<QueueState>(queue.state());
  let lastSent = state.value.sentCount;
  const off = queue.subscribe((s) => {
    state.value = s;
    if (s.sentCount !== lastSent) {
      lastSent = s.sentCount;
      if (s.sentCount > 0) onSent();
    }
  });
  const kick = () => queue.kick();
  const visible = () => { if (document.visibilityState === 'visible') queue.kick(); };
  window.addEventListener('online', kick);
  document.addEventListener('visibilitychange', visible);
  queue.kick();

  onBeforeUnmount(() => {
    off();
    window.removeEventListener('online', kick);
    document.removeEventListener('visibilitychange', visible);
    queue.dispose();
  });

  return {
    state,
    enqueue: (a: FieldAction) => queue.enqueue(a),
    dismiss: (id: string) => queue.dismiss(id),
    retryNow: kick,
  };
}
