/** Test doubles for the SLA clocks: an in-memory cases port that records what the clocks write, and a transition helper. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CaseAction, CaseStage, CaseSummary, Organisation, TaxonomyItem } from '../../shared/cases.ts';
import { DEFAULT_SLA_SETTINGS, type SlaSettings, type WorkCalendar } from '../../shared/sla.ts';
import { DomainEvents } from '../../server/ops/domain-events.ts';
import type { CasesPort } from '../../server/ops/ports.ts';
import { openDatabase, type Db } from '../../server/store/database.ts';
import { SqliteStore } from '../../server/store/sql/sqlite-store.ts';
import { SlaService } from '../../server/sla/sla-service.ts';
import { SlaSettingsRepo } from '../../server/sla/settings-repo.ts';
import { EMPTY_CALENDAR } from '../../server/sla/work-time.ts';

export const ORGS: Organisation[] = [
  { code: '370102002', name: '千佛山街道', nameEn: 'Qianfoshan Street', type: 'street' },
  { code: '370102007', name: '文东街道', nameEn: 'Wendong Street', type: 'street' },
  { code: 'D01', name: '区城市管理局', nameEn: 'District Urban Management Bureau', type: 'department' },
  { code: 'D05', name: '区住房和城乡建设局', nameEn: 'District Housing and Construction Bureau', type: 'department' },
];

const ITEM: TaxonomyItem = {
  code: '01.01.001', name: '井盖', nameEn: 'Manhole cover', category: 'component', classCode: '01', difficulty: 'small',
  deptCode: 'D05', emergency: true, skills: [], roadChecklist: true,
};

export function caseSummary(id: number, over: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id, code: `LX-${id}`, title: 'test case', itemCode: ITEM.code, category: 'component', source: 'roadChief', stage: 'registered',
    suspended: false, emergency: false, difficulty: 'small',
    location: { lon: 117.05, lat: 36.64, streetCode: '370102002', communityCode: null, gridId: null, address: null },
    assignedOrg: null, assignment: null, alarmId: null, escalationLevel: 0, reportedBy: 'test', createdTs: 0, updatedTs: 0, closedTs: null,
    clocks: [], version: 1, ...over,
  };
}

export interface Recorded { call: 'appendSystem' | 'escalate'; caseId: number; what: string; at: number | undefined; data?: Record<string, unknown> | undefined }

/** The part of the cases port the clocks use; the rest is never called by them. */
export class FakeCases {
  readonly cases = new Map<number, CaseSummary>();
  readonly calls: Recorded[] = [];
  /** Throws from appendSystem this many times (a failing store). */
  failNext = 0;
  /** Runs inside escalate, as a cases module that emits its own 'escalate' transition would. */
  onEscalate: ((caseId: number, at: number) => void | Promise<void>) | undefined;

  port(): CasesPort {
    const unused = () => { throw new Error('not used by the SLA clocks'); };
    return {
      taxonomy: unused, detail: unused, openCases: unused, changedSince: unused, report: unused, transition: unused, dispatch: unused,
      release: unused, unitStep: unused, feedback: unused, fedBackBy: unused, request: unused, decide: unused, openForAlarm: unused, rate: unused, addPhoto: unused,
      item: (code) => (code === ITEM.code ? ITEM : undefined),
      organisations: () => ORGS,
      get: async (id) => this.cases.get(id),
      appendSystem: async (caseId, action, _note, data, at) => {
        if (this.failNext > 0) {
          this.failNext--;
          throw new Error('store busy');
        }
        this.calls.push({ call: 'appendSystem', caseId, what: action, at, data });
      },
      escalate: async (caseId, level, notified, at) => {
        this.calls.push({ call: 'escalate', caseId, what: `${level}:${notified}`, at });
        await this.onEscalate?.(caseId, at);
      },
    };
  }

  /** The calls as compact strings: 'clockWarning@ts', 'escalate 1:千佛山街道@ts'. */
  lines(caseId?: number): string[] {
    return this.calls.filter((c) => caseId === undefined || c.caseId === caseId)
      .map((c) => (c.call === 'escalate' ? `escalate ${c.what}@${c.at}` : `${c.what}@${c.at}`));
  }
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cityops-sla-'));
}

export interface Rig {
  db: Db;
  sla: SlaService;
  events: DomainEvents;
  changed: number[];
  errors: unknown[];
  settings: SlaSettingsRepo;
  /** Settles once the clocks have followed the step (as the cases module waits for them). */
  transition(caseId: number, action: CaseAction, to: CaseStage | null, data?: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

/** A service on a SQLite file in `dir`, reading time from Date.now (faked by vi.useFakeTimers in the tests). */
export async function rig(dir: string, fake: FakeCases, opts: { settings?: Partial<SlaSettings>; calendar?: WorkCalendar; timeZone?: string } = {}): Promise<Rig> {
  const db = openDatabase(dir);
  const store = new SqliteStore(db);
  const events = new DomainEvents();
  const changed: number[] = [];
  const errors: unknown[] = [];
  events.on('case:changed', (id) => { changed.push(id); });
  const settings = new SlaSettingsRepo(store, { ...DEFAULT_SLA_SETTINGS, ...opts.settings });
  const sla = new SlaService({
    store, events, settings, cases: () => fake.port(), now: () => Date.now(),
    deadline: { timeZone: opts.timeZone ?? 'Asia/Shanghai', calendar: opts.calendar ?? EMPTY_CALENDAR },
    log: { error: (obj) => errors.push(obj), warn: () => {} },
  });
  await sla.load();
  return {
    db, sla, events, changed, errors, settings,
    transition: (caseId, action, to, data) => events.emitSettled('case:transition', { caseId, action, from: null, to, actor: 'test', at: Date.now(), ...(data ? { data } : {}) }),
    stop: async () => {
      await sla.close();
      await store.close();
      db.close();
    },
  };
}
