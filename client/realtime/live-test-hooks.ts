/**
 * `window.__cityopsLive` for the browser tests (builds made with CITYOPS_TEST_HOOKS=1 only):
 * what the screen holds of the live stream, a way to drop its connection as a network
 * would, to check that it comes back equal to the server, and one to hold its frames.
 */
import type { EntityBuffer } from './entity-buffer.ts';
import type { LiveClient } from './live-client.ts';

export interface CityopsLiveHooks {
  /** Catalog entries held, and those with a position (what the map can draw). */
  held(): { entities: number; withPosition: number; starts: number; resumed: number; version: number };
  dropTransport(): void;
  /** Frames received and not applied while on; off resumes (bench:render's paused phase). */
  holdFrames(on: boolean): void;
}

declare global {
  interface Window {
    __cityopsLive?: CityopsLiveHooks;
  }
}

export function installLiveTestHooks(client: () => LiveClient | null, buffer: EntityBuffer): () => void {
  window.__cityopsLive = {
    held: () => {
      let withPosition = 0;
      for (let i = 0; i < buffer.size; i++) if (buffer.hasPos[i] === 1) withPosition++;
      return { entities: buffer.size, withPosition, ...(client()?.stats() ?? { starts: 0, resumed: 0, version: 0 }) };
    },
    dropTransport: () => client()?.dropTransport(),
    holdFrames: (on) => client()?.holdFrames(on),
  };
  return () => {
    delete window.__cityopsLive;
  };
}
