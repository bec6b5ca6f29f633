// format.js: dates and time zones as the member reads them. Pure (Intl only),
// so node's test runner checks it with an explicit zone.

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

function locale(lang) {
  return lang === 'zh' ? 'zh-CN' : 'en-GB';
}

/** browserZone is the IANA zone of this device (the member's), or "UTC". */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** zoneLabel is a zone's short name at a moment: "GMT+8", "CET". */
export function zoneLabel(date, tz) {
  try {
    const part = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'short' })
      .formatToParts(date).find((p) => p.type === 'timeZoneName');
    return part ? part.value : tz;
  } catch {
    return tz;
  }
}

/**
 * formatDue shows a due value: a calendar date ("2026-12-05", a todo's) as
 * that date, with no zone (a date is the same date everywhere); a moment
 * (RFC 3339, a reminder's) in zone tz with the zone's label. Returns
 * { text, zone } (zone "" for a date), or null for no or unreadable input.
 */
export function formatDue(value, lang, tz) {
  if (!value || typeof value !== 'string') return null;
  const d = DATE_ONLY.exec(value);
  if (d) {
    const date = new Date(Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]), 12));
    return {
      text: new Intl.DateTimeFormat(locale(lang), { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(date),
      zone: '',
    };
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return null;
  let text;
  try {
    text = new Intl.DateTimeFormat(locale(lang), {
      weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: tz,
    }).format(at);
  } catch {
    return { text: value, zone: '' };
  }
  return { text, zone: zoneLabel(at, tz) };
}
