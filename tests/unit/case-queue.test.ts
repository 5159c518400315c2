import { describe, expect, it } from 'vitest';
import { filterQueue, NO_FILTERS } from '../../client/realtime/case-queue.ts';
import { caseSummary, clock } from '../fixtures/ops-factories.ts';

const loc = (streetCode: string, address: string) => ({ lon: 117, lat: 36.6, streetCode, communityCode: null, gridId: null, address });

describe('console case queue', () => {
  const cases = [
    caseSummary({ id: 1, stage: 'registered', source: 'hotline', itemCode: '02.01.001', location: loc('S1', '解放路 12 号'), clocks: [clock({ startTs: 0, dueTs: 5_000 })] }),
    caseSummary({ id: 2, stage: 'handling', source: 'roadChief', itemCode: '03.01.001', location: loc('S2', '历山路'), clocks: [clock({ startTs: 0, dueTs: 1_000 })] }),
    caseSummary({ id: 3, stage: 'closed', source: 'hotline', itemCode: '02.02.004', location: loc('S1', '泉城路'), title: '泉城路 建筑垃圾' }),
    caseSummary({ id: 4, stage: 'reported', source: 'citizenPhoto', itemCode: '02.01.002', location: loc('S2', '解放东路'), emergency: true }),
  ];

  it('shows open cases by default, emergencies then least time left', () => {
    expect(filterQueue(cases, NO_FILTERS, 0).map((c) => c.id)).toEqual([4, 2, 1]);
  });

  it('filters by street, source, stage and class prefix, and searches code, title and address', () => {
    expect(filterQueue(cases, { ...NO_FILTERS, street: 'S1' }, 0).map((c) => c.id)).toEqual([1]);
    expect(filterQueue(cases, { ...NO_FILTERS, stage: '', source: 'hotline' }, 0).map((c) => c.id)).toEqual([1, 3]);
    expect(filterQueue(cases, { ...NO_FILTERS, stage: 'closed' }, 0).map((c) => c.id)).toEqual([3]);
    expect(filterQueue(cases, { ...NO_FILTERS, stage: '', item: '02' }, 0).map((c) => c.id)).toEqual([4, 1, 3]);
    expect(filterQueue(cases, { ...NO_FILTERS, item: '02.01.001' }, 0).map((c) => c.id)).toEqual([1]);
    // "02.0" is not a class code: no partial segment matches.
    expect(filterQueue(cases, { ...NO_FILTERS, stage: '', item: '02.0' }, 0)).toEqual([]);
    expect(filterQueue(cases, { ...NO_FILTERS, search: '解放' }, 0).map((c) => c.id)).toEqual([4, 1]);
    expect(filterQueue(cases, { ...NO_FILTERS, stage: '', search: 'lx-20261128-0003' }, 0).map((c) => c.id)).toEqual([3]);
  });
});
