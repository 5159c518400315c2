import type { AlarmSeverity } from '../../shared/alarms.ts';
import { ALARM_RED, ALERT_AMBER } from '../map/palette.ts';

/** critical/major red, minor amber, warning yellow (shared/alarms.ts). */
export const SEVERITY_COLOURS: Record<AlarmSeverity, string> = { critical: ALARM_RED, major: '#ff7a5c', minor: ALERT_AMBER, warning: '#e3dc5a' };
