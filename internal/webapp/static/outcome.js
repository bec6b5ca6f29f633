// outcome.js reads what tt.sendMessageCard answered (the seed, feishu-platform
// md §13.3) into what the member is told, per chat. Pure: no DOM, no client,
// so node's test runner checks every error code of the seed.
import { t, joinList } from './i18n.js';

/** SEED_CODES are the errCodes the seed documents; -6 is the member's cancel. */
export const SEED_CODES = [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, 42406];

/** errKey is the i18n key explaining errCode, or null for a code the seed does not list. */
export function errKey(code) {
  if (code === 42406) return 'err42406';
  if (Number.isInteger(code) && code <= -1 && code >= -10) return `err_${-code}`;
  return null;
}

/**
 * sentEntries are the sendCardInfo entries that say a card was sent
 * (status 0), with their ids as strings: the seed types openChatId as a
 * number in one table, though it is an oc_ string.
 */
export function sentEntries(res) {
  const info = Array.isArray(res?.sendCardInfo) ? res.sendCardInfo : [];
  return info
    .filter((e) => e && Number(e.status) === 0 && e.openChatId !== undefined && e.openChatId !== null && e.openChatId !== '')
    .map((e) => ({ status: 0, openChatId: String(e.openChatId), openMessageId: String(e.openMessageId ?? '') }));
}

/**
 * shareOutcome is what to tell the member after tt.sendMessageCard called
 * success (ok true) or fail (ok false) with res. name(chatId) names a chat.
 * Returns { tone: success|partial|error|cancelled, code, lines, sent, failed }:
 * lines are sentences in lang; sent are the sendCardInfo entries to record;
 * failed are the chat ids named as not sent to.
 */
export function shareOutcome(lang, ok, res, name) {
  const r = res && typeof res === 'object' ? res : {};
  const sent = sentEntries(r);
  const sentIds = new Set(sent.map((s) => s.openChatId));
  const failed = [];
  const fail = (id) => {
    const s = String(id);
    if (s && !sentIds.has(s) && !failed.includes(s)) failed.push(s);
  };
  for (const e of Array.isArray(r.sendCardInfo) ? r.sendCardInfo : []) {
    if (e && Number(e.status) !== 0 && e.openChatId) fail(e.openChatId);
  }
  for (const id of Array.isArray(r.failedOpenChatIDs) ? r.failedOpenChatIDs : []) if (id) fail(id);

  const lines = [];
  let tone;
  let code = null;
  if (ok) {
    tone = failed.length ? 'partial' : 'success';
    if (sent.length) lines.push(t(lang, 'shareSentTo', { chats: joinList(lang, sent.map((s) => name(s.openChatId))) }));
    else if (!failed.length) lines.push(t(lang, 'shareSentNoInfo')); // a client before 4.2 sends no sendCardInfo
  } else {
    code = Number(r.errCode);
    const key = errKey(code);
    lines.push(key ? t(lang, key) : t(lang, 'errOther', { code: r.errCode ?? '?', msg: r.errMsg || '' }));
    if (sent.length) lines.push(t(lang, 'shareSentTo', { chats: joinList(lang, sent.map((s) => name(s.openChatId))) }));
    if (code === -6) tone = 'cancelled';
    else tone = sent.length ? 'partial' : 'error';
  }
  if (failed.length) lines.push(t(lang, 'shareNotSentTo', { chats: joinList(lang, failed.map(name)) }));
  return { tone, code, lines, sent, failed };
}
