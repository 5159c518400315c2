/**
 * The organisations cases are assigned to: the 13 streets (from the pack's divisions) and
 * 12 district departments. The brief names neither the 12 nor their codes; these are the
 * departments DOMAIN.md lists for city-management cases, with the utilities (供水/供热/燃气/
 * 供电) as one transfer target — 文化和旅游局 is left out: no item of the taxonomy is its.
 * Department codes are the district code + "D" + two digits, so they never collide with a
 * 9-digit street code.
 */
import type { Organisation } from '../../shared/cases.ts';

export const DEPT = {
  sanitation: { code: '370102D01', name: '区城管局环卫中心', nameEn: 'Sanitation Centre (City Management Bureau)' },
  enforcement: { code: '370102D02', name: '区城管局执法大队', nameEn: 'Enforcement Brigade (City Management Bureau)' },
  housing: { code: '370102D03', name: '区住房和城乡建设局', nameEn: 'Housing and Urban-Rural Development Bureau' },
  market: { code: '370102D04', name: '区市场监督管理局', nameEn: 'Market Regulation Bureau' },
  ecology: { code: '370102D05', name: '市生态环境局历下分局', nameEn: 'Ecology and Environment Sub-bureau' },
  traffic: { code: '370102D06', name: '市公安局交警支队历下大队', nameEn: 'Traffic Police Brigade' },
  water: { code: '370102D07', name: '区水务局', nameEn: 'Water Affairs Bureau' },
  greening: { code: '370102D08', name: '区园林和林业绿化中心', nameEn: 'Landscaping and Forestry Centre' },
  police: { code: '370102D09', name: '市公安局历下分局', nameEn: 'Public Security Sub-bureau' },
  emergency: { code: '370102D10', name: '区应急管理局', nameEn: 'Emergency Management Bureau' },
  planning: { code: '370102D11', name: '市自然资源和规划局历下分局', nameEn: 'Natural Resources and Planning Sub-bureau' },
  utilities: { code: '370102D12', name: '公用事业单位（供水/供热/燃气/供电）', nameEn: 'Utilities (water, heating, gas, power)' },
} as const;

/** The bureau's own units (环卫, 执法) work per street: their cases go to the street, the others' to the department. */
const STREET_LEVEL = new Set<string>([DEPT.sanitation.code, DEPT.enforcement.code]);

export function buildOrganisations(streets: readonly { code: string; name: string; nameEn: string }[]): Organisation[] {
  return [
    ...streets.map((s): Organisation => ({ code: s.code, name: s.name, nameEn: s.nameEn, type: 'street' })),
    ...Object.values(DEPT).map((d): Organisation => ({ code: d.code, name: d.name, nameEn: d.nameEn, type: 'department', ...(STREET_LEVEL.has(d.code) ? { streetLevel: true } : {}) })),
  ];
}
