// An independent reading of slot identity: every instant formatted in its zone with Intl (the local
// date, hour and minute, and the zone's offset), no arithmetic shared with SlotCalendar.
import type { SlotUnit, Weekday } from '../../src/counters/calendar.js';

const formats = new Map<string, Intl.DateTimeFormat>();

function parts(zone: string, ms: number): Record<string, string> {
  let format = formats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'longOffset' });
    formats.set(zone, format);
  }
  const out: Record<string, string> = {};
  for (const p of format.formatToParts(new Date(ms))) out[p.type] = p.value;
  return out;
}

/** A name of the `unit` slot that holds instant ms in `zone`: equal names, same slot. */
export function slotIdentity(zone: string, weekStart: Weekday, unit: SlotUnit, ms: number): string {
  const p = parts(zone, ms);
  const date = `${String(p.year)}-${String(p.month)}-${String(p.day)}`;
  switch (unit) {
    case 'minute':
      return `${date} ${String(p.hour)}:${String(p.minute)} ${String(p.timeZoneName)}`;
    case 'hour':
      return `${date} ${String(p.hour)} ${String(p.timeZoneName)}`;
    case 'day':
      return date;
    case 'week': {
      const day = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day)));
      day.setUTCDate(day.getUTCDate() - ((day.getUTCDay() - weekStart + 7) % 7));
      return day.toISOString().slice(0, 10);
    }
    case 'month':
      return `${String(p.year)}-${String(p.month)}`;
    default:
      return String(p.year);
  }
}
