/**
 * What every figure of the briefing counts, in words a leader reads on hover. The rates are
 * over the cases due in the period (DOMAIN.md › Indicators): a case is due in the period when
 * its closure deadline (the 7123 1/2/3-day clock, moved by pauses and approved extensions)
 * falls in it, up to now; a voided case is never due.
 */
import type { IndicatorDefinition } from '../../shared/schemas/briefing.ts';

export type IndicatorKey =
  | 'reported' | 'registered' | 'closed' | 'overdue' | 'alarms' | 'arrivalCompliance' | 'avgArriveMin' | 'avgCloseH'
  | 'due' | 'closureRate' | 'onTimeClosureRate' | 'onTimeDispatchRate' | 'reworkRate';

const DUE_ZH = '期内应结案：结案时限（7123 的 1/2/3 天，随挂账与批准的延期顺延）落在本期内（截至此刻）的案件，作废案件不计';
const DUE_EN = 'due in the period: cases whose closure deadline (the 7123 1/2/3-day clock, moved by suspensions and approved extensions) falls in the period, up to now; voided cases never count';

export function indicatorDefinitions(dispatchTargetMin: number): IndicatorDefinition[] {
  const d = (key: IndicatorKey, name: string, nameEn: string, unit: IndicatorDefinition['unit'], higherIsBetter: boolean, definition: string, definitionEn: string): IndicatorDefinition =>
    ({ key, name, nameEn, unit, higherIsBetter, definition, definitionEn });
  return [
    d('reported', '上报数', 'Reported', 'count', false, '本期内上报（创建）的案件数，含未立案的', 'cases reported (created) in the period, registered or not'),
    d('registered', '立案数', 'Registered', 'count', false, '本期内立案的案件数（立案即开始计结案时限）', 'cases registered (立案) in the period — the moment the closure clock starts'),
    d('closed', '结案数', 'Closed', 'count', true, '本期内结案的案件数', 'cases closed in the period'),
    d('overdue', '超期数', 'Overdue', 'count', false, `${DUE_ZH}中，未在时限内结案的案件数`, `of the cases ${DUE_EN}: those not closed by their deadline`),
    d('alarms', '告警数', 'Alarms', 'count', false, '本期内新产生的告警数（各类设备与规则）', 'alarms raised in the period (all devices and rules)'),
    d('arrivalCompliance', '7分钟到场率', '7-min on scene', 'rate', true, '本期内派遣的紧急案件中，派遣后 7 分钟内到场的比例（尚未到期者不计，已撤销的不计）', 'of the emergencies dispatched in the period, the share on scene within 7 minutes of dispatch (clocks still running and cancelled ones left out)'),
    d('avgArriveMin', '平均到场用时', 'Avg time to arrive', 'min', false, '本期内派遣且已到场的紧急案件，派遣到到场的平均分钟数', 'mean minutes from dispatch to arrival of the emergencies dispatched in the period that arrived'),
    d('avgCloseH', '平均结案用时', 'Avg time to close', 'h', false, '本期内结案的案件，立案到结案的平均小时数', 'mean hours from registration to closure of the cases closed in the period'),
    d('due', '应结案数', 'Due', 'count', false, `${DUE_ZH}（以下各率的分母）`, `cases ${DUE_EN} (the denominator of the rates)`),
    d('closureRate', '结案率', 'Closure rate', 'rate', true, `结案数 ÷ 应结案数：${DUE_ZH}中，到此刻已结案的比例`, `closed ÷ due: of the cases ${DUE_EN}, the share closed by now`),
    d('onTimeClosureRate', '按期结案率', 'On-time closure', 'rate', true, `按期结案数 ÷ 应结案数：${DUE_ZH}中，在时限内结案的比例`, `closed on time ÷ due: of the cases ${DUE_EN}, the share closed by their deadline`),
    d('onTimeDispatchRate', '按时派遣率', 'On-time dispatch', 'rate', true, `按时派遣数 ÷ 应结案数：${DUE_ZH}中，立案后 ${dispatchTargetMin} 分钟内派遣的比例`, `dispatched on time ÷ due: of the cases ${DUE_EN}, the share dispatched within ${dispatchTargetMin} minutes of registration`),
    d('reworkRate', '返工率', 'Rework rate', 'rate', false, `返工数 ÷ 派遣数：${DUE_ZH}中已派遣的案件里，核查不通过而返工过的比例`, `reworked ÷ dispatched: of the cases ${DUE_EN} that were dispatched, the share sent back for rework at verification`),
  ];
}
