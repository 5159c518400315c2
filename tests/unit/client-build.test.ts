import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientBuildReader } from '../../server/plugins/client.ts';

describe('client build id (walls reload after a server upgrade)', () => {
  it('is the entry script of the built index.html, and follows a rebuild', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cityops-build-'));
    const read = clientBuildReader(dir);
    expect(read()).toBeUndefined();
    writeFileSync(join(dir, 'index.html'), '<html><head><script type="module" crossorigin src="/assets/index-AAAA.js"></script></head></html>');
    expect(read()).toBe('/assets/index-AAAA.js');
    writeFileSync(join(dir, 'index.html'), '<html><head><script type="module" crossorigin src="/assets/index-BBBB.js"></script></head></html>');
    utimesSync(join(dir, 'index.html'), new Date(), new Date(Date.now() + 5000));
    expect(read()).toBe('/assets/index-BBBB.js');
  });
});
