/**
 * Whether a live state is applying a change another node accepted. History keeps each point
 * once (the node that ingested it writes it); the alarm rules and the screens see every change.
 * Changes are applied synchronously, so a flag held around the apply marks exactly its events.
 */
const replaying = new WeakSet<object>();

export function isReplaying(live: object): boolean {
  return replaying.has(live);
}

export function replay<T>(live: object, apply: () => T): T {
  replaying.add(live);
  try {
    return apply();
  } finally {
    replaying.delete(live);
  }
}
