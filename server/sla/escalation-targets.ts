/** Who a 吹哨 escalation notifies, by name: the case's street (level 1), then its responsible district department (level 2). */
import type { CasesPort } from '../ops/ports.ts';

function orgName(cases: CasesPort, code: string | undefined): string | undefined {
  return code === undefined ? undefined : cases.organisations().find((o) => o.code === code)?.name;
}

/** Level 1: the street the case lies in (its code when the pack names no such street). */
export async function streetToNotify(cases: CasesPort, caseId: number): Promise<string> {
  const code = (await cases.get(caseId))?.location.streetCode;
  return orgName(cases, code) ?? code ?? 'street';
}

/** Level 2: the department the case is assigned to, else the department responsible for its taxonomy item. */
export async function departmentToNotify(cases: CasesPort, caseId: number): Promise<string> {
  const c = await cases.get(caseId);
  const assigned = cases.organisations().find((o) => o.code === c?.assignedOrg && o.type === 'department');
  if (assigned) return assigned.name;
  const code = c ? cases.item(c.itemCode)?.deptCode : undefined;
  return orgName(cases, code) ?? code ?? 'department';
}
