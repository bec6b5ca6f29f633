// app.js: botd's web app, the page a member opens inside the Feishu/Lark
// client (feishu-platform.md §13): their todos and reminders across chats,
// the group card's buttons, and sharing an item's card into chats with
// tt.sendMessageCard.
//
// Flow: no h5sdk -> "open this page inside Feishu/Lark"; else sign the page
// (GET api/jssdk) -> h5sdk.config -> h5sdk.ready -> GET api/me; 401 -> a
// login code from the client (tt.requestAccess, or tt.requestAuthCode on
// old clients) -> POST api/session -> the list.
//
// Every request is same-origin and relative to the page ("api/..."), so
// the page works wherever it is mounted; the session is an HttpOnly cookie
// the page never sees. The page holds no secret.
import { t, detectLang, langOf } from './i18n.js';
import { formatDue, browserZone, zoneLabel } from './format.js';
import { shareOutcome } from './outcome.js';
import * as sdk from './sdk.js';

const state = {
  lang: 'en',
  appId: '',
  me: null,
  items: [],
  filter: { state: 'open', kind: '' },
  configOK: false,
  chatNames: new Map(), // chat_id -> name, from the items and share answers
  outcomes: new Map(), // item id -> the last share outcome shown on it
  busy: new Set(), // item ids with a request in flight
  triggerCode: new URLSearchParams(window.location.search).get('triggerCode') || '',
  zone: browserZone(),
};

const $ = (sel, root = document) => root.querySelector(sel);

// h builds an element; text children are text nodes, so nothing the
// server or a title holds is ever parsed as HTML.
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const tr = (key, vars) => t(state.lang, key, vars);

// ---- requests ------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    return { status: 0, data: { error: err.message || 'network error' } };
  }
  let data = {};
  try {
    data = await res.json();
  } catch { /* not JSON: status says enough */ }
  return { status: res.status, data };
}

// authed is api for the session's routes: a 401 (the session expired)
// logs in again once and repeats the request.
async function authed(method, path, body) {
  let r = await api(method, path, body);
  if (r.status === 401) {
    state.me = await login();
    showWho();
    r = await api(method, path, body);
  }
  return r;
}

function detail(r) {
  return r.data?.error || (r.status ? `HTTP ${r.status}` : 'network error');
}

// ---- screens ---------------------------------------------------------------------

function applyStrings() {
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${tr('appTitle')} · botd`;
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = tr(el.dataset.i18n); });
  $('#zone-note').textContent = tr('zoneNote', { zone: `${state.zone} (${zoneLabel(new Date(), state.zone)})` });
  showWho();
}

function showWho() {
  $('#who').textContent = state.me?.name ? tr('signedInAs', { name: state.me.name }) : '';
}

function showStatus(text) {
  $('#status-text').textContent = text;
  $('#status').hidden = false;
}

function hideStatus() {
  $('#status').hidden = true;
}

// fatal replaces the page with a message; retry adds a button that
// reloads; also, when given, is the same message in the other language
// (for an ordinary browser, whose language may not be the member's).
function fatal(title, body, retry, also) {
  hideStatus();
  $('#list-view').hidden = true;
  $('#refresh').hidden = true;
  const box = $('#fatal');
  const parts = [h('h2', {}, title), h('p', {}, body)];
  if (retry) parts.push(h('button', { type: 'button', class: 'btn primary', onclick: () => window.location.reload() }, tr('retry')));
  if (also) parts.push(h('div', { class: 'also', lang: also.lang }, h('h2', {}, also.title), h('p', {}, also.body)));
  box.replaceChildren(...parts);
  box.hidden = false;
  document.body.dataset.state = 'fatal';
}

// banner is a lasting notice above the list (a failed config, an h5sdk.error).
function banner(id, title, body) {
  let el = document.getElementById(id);
  if (!el) {
    el = h('div', { id, class: 'banner', role: 'alert' });
    $('#banners').append(el);
  }
  el.replaceChildren(h('strong', {}, title), h('span', {}, ` ${body}`));
}

let toastTimer;
function toast(type, text) {
  const el = $('#toast');
  const kind = ['success', 'error', 'warning', 'info'].includes(type) ? type : 'info';
  el.replaceChildren(h('div', { class: `toast toast-${kind}` }, text));
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.replaceChildren(), 4000);
}

// ---- the list ----------------------------------------------------------------------

const ACTION_KEYS = { done: 'actionDone', reopen: 'actionReopen', cancel: 'actionCancel', snooze: 'actionSnooze' };
const STATUS_KEYS = { open: 'statusOpen', done: 'statusDone', active: 'statusActive', cancelled: 'statusCancelled' };
const ROLE_KEYS = { creator: 'roleCreator', assignee: 'roleAssignee', addressed: 'roleAddressed' };

function chatName(id) {
  const name = state.chatNames.get(id);
  if (name) return name;
  return id ? `${tr('unknownChat')} (${id})` : tr('unknownChat');
}

function noteChats(items) {
  for (const it of items) if (it.chat_id && it.chat_name) state.chatNames.set(it.chat_id, it.chat_name);
}

function when(value) {
  const f = formatDue(value, state.lang, state.zone);
  if (!f) return null;
  return h('span', { class: 'when' }, f.text, f.zone ? h('span', { class: 'zone' }, ` ${f.zone}`) : null);
}

function meta(label, ...value) {
  return h('div', { class: 'meta-row' }, h('dt', {}, label), h('dd', {}, ...value));
}

function renderItem(it) {
  const busy = state.busy.has(it.id);
  const actions = (Array.isArray(it.actions) ? it.actions : []).filter((a) => ACTION_KEYS[a]);
  const due = it.due ? when(it.due) : null;
  const closed = it.closed_at ? when(it.closed_at) : null;
  const outcome = state.outcomes.get(it.id);
  const li = h('li', { class: `item kind-${it.kind} status-${it.status}`, 'data-id': it.id, 'aria-busy': busy ? 'true' : null },
    h('div', { class: 'item-head' },
      h('span', { class: `badge kind ${it.kind}` }, tr(it.kind === 'reminder' ? 'kindReminder' : 'kindTodo')),
      h('span', { class: `badge status ${it.status}` }, tr(STATUS_KEYS[it.status] || 'statusOpen'))),
    h('h3', { class: 'item-title' }, it.title || '—'),
    h('dl', { class: 'item-meta' },
      meta(tr('chat'), h('span', { class: 'chat-name' }, chatName(it.chat_id))),
      due ? meta(tr(it.kind === 'reminder' ? 'next' : 'due'), due) : null,
      closed ? meta(tr('closed'), closed) : null,
      ROLE_KEYS[it.role] ? meta(tr('role'), tr(ROLE_KEYS[it.role])) : null),
    h('div', { class: 'item-actions' },
      actions.map((a) => h('button', {
        type: 'button', class: `btn ${a === 'done' ? 'primary' : ''}`, 'data-action': a, disabled: busy,
        onclick: () => act(it, a),
      }, tr(ACTION_KEYS[a]))),
      h('button', {
        type: 'button', class: 'btn share', 'data-action': 'share', disabled: busy,
        onclick: () => share(it),
      }, tr(state.triggerCode ? 'shareHere' : 'share'))),
    outcome ? h('div', { class: `outcome ${outcome.tone}`, role: 'status', 'data-tone': outcome.tone, 'data-code': outcome.code ?? '' },
      outcome.lines.map((l) => h('p', {}, l)),
      h('button', { type: 'button', class: 'link', onclick: () => { state.outcomes.delete(it.id); rerender(it.id); } }, tr('dismiss'))) : null);
  return li;
}

function rerender(id) {
  const old = document.querySelector(`#items li[data-id="${CSS.escape(id)}"]`);
  const it = state.items.find((x) => x.id === id);
  if (old && it) old.replaceWith(renderItem(it));
}

function renderList() {
  const list = $('#items');
  list.replaceChildren(...state.items.map(renderItem));
  const empty = $('#empty');
  empty.hidden = state.items.length > 0;
  empty.textContent = tr({ open: 'emptyOpen', done: 'emptyDone' }[state.filter.state] || 'emptyAll');
  document.querySelectorAll('[data-filter]').forEach((b) => {
    b.setAttribute('aria-pressed', String(state.filter[b.dataset.filter] === b.dataset.value));
  });
  $('#share-hint').hidden = !state.triggerCode;
}

async function loadItems() {
  const q = new URLSearchParams();
  if (state.filter.state) q.set('state', state.filter.state);
  if (state.filter.kind) q.set('kind', state.filter.kind);
  const qs = q.toString();
  const r = await authed('GET', `api/items${qs ? `?${qs}` : ''}`);
  if (r.status !== 200) {
    toast('error', tr('serverUnavailable', { detail: detail(r) }));
    return;
  }
  state.items = Array.isArray(r.data.items) ? r.data.items : [];
  noteChats(state.items);
  hideStatus();
  $('#list-view').hidden = false;
  $('#refresh').hidden = false;
  renderList();
  document.body.dataset.state = 'list';
}

async function act(it, action) {
  state.busy.add(it.id);
  rerender(it.id);
  try {
    const r = await authed('POST', `api/items/${encodeURIComponent(it.id)}/actions?lang=${state.lang}`, { action });
    if (r.status === 200) {
      if (r.data.item) {
        const i = state.items.findIndex((x) => x.id === it.id);
        if (i >= 0) state.items[i] = r.data.item;
      }
      if (r.data.toast) toast(r.data.toast.type, r.data.toast.text);
    } else if (r.status === 404) {
      state.items = state.items.filter((x) => x.id !== it.id);
      toast('error', tr('itemGone'));
    } else {
      toast('error', tr('actionFailed', { detail: detail(r) }));
    }
  } catch (err) {
    toast('error', tr('actionFailed', { detail: sdk.describe(err) }));
  } finally {
    state.busy.delete(it.id);
    const still = state.items.some((x) => x.id === it.id);
    if (still) rerender(it.id);
    else renderList();
  }
}

// ---- sharing ----------------------------------------------------------------------

function showOutcome(id, outcome) {
  state.outcomes.set(id, outcome);
  rerender(id);
}

async function share(it) {
  const tt = window.tt;
  if (!state.configOK) {
    showOutcome(it.id, { tone: 'error', code: null, lines: [tr('shareUnavailable')] });
    return;
  }
  if (typeof tt?.sendMessageCard !== 'function') {
    showOutcome(it.id, { tone: 'error', code: null, lines: [tr('shareNoApi')] });
    return;
  }
  state.busy.add(it.id);
  state.outcomes.delete(it.id);
  rerender(it.id);
  let outcome;
  try {
    const card = await authed('POST', `api/items/${encodeURIComponent(it.id)}/share`, { lang: state.lang });
    if (card.status !== 200 || !card.data.cardContent) {
      outcome = { tone: 'error', code: null, lines: [card.status === 404 ? tr('itemGone') : tr('shareCardFailed', { detail: detail(card) })] };
      return;
    }
    // From a chat's "+" menu the card goes to that chat (triggerCode);
    // otherwise the client's picker lets the member choose chats.
    const params = state.triggerCode
      ? { triggerCode: state.triggerCode, cardContent: card.data.cardContent }
      : {
        shouldChooseChat: true,
        chooseChatParams: { multiSelect: true, allowCreateGroup: false, externalChat: false, confirmTitle: tr('share') },
        cardContent: card.data.cardContent,
      };
    const { ok, res } = await sdk.sendCard(tt, params);
    outcome = shareOutcome(state.lang, ok, res, chatName);
    if (outcome.sent.length) {
      // botd keeps the shared messages so that it can update them with the
      // item; at most 10 entries per request.
      let recordFailed = '';
      for (let i = 0; i < outcome.sent.length && !recordFailed; i += 10) {
        // The same lang as /share: botd answers clicks on these copies in it.
        const rec = await authed('POST', `api/items/${encodeURIComponent(it.id)}/shares`, { sendCardInfo: outcome.sent.slice(i, i + 10), lang: state.lang });
        if (rec.status !== 200) {
          recordFailed = tr('shareRecordFailed', { detail: detail(rec) });
          continue;
        }
        const names = rec.data.chat_names;
        if (names && typeof names === 'object') {
          for (const [id, name] of Object.entries(names)) if (name) state.chatNames.set(id, String(name));
        }
      }
      // Name the chats again: botd may have told their names.
      outcome = shareOutcome(state.lang, ok, res, chatName);
      if (recordFailed) outcome.lines.push(recordFailed);
    }
  } catch (err) {
    outcome = { tone: 'error', code: null, lines: [tr('errOther', { code: '?', msg: sdk.describe(err) })] };
  } finally {
    state.busy.delete(it.id);
    if (outcome) showOutcome(it.id, outcome);
    else rerender(it.id);
  }
}

// ---- start -------------------------------------------------------------------------

async function login() {
  showStatus(tr('loggingIn'));
  const nonce = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
  let code;
  try {
    code = await sdk.loginCode(window.tt, state.appId, nonce);
  } catch (err) {
    fatal(tr('loginFailedTitle'), tr('loginRefused', { detail: sdk.describe(err) }), true);
    throw err;
  }
  const r = await api('POST', 'api/session', { code });
  if (r.status === 200) return r.data;
  const msg = r.status === 401 ? tr('loginRejected') : tr('serverUnavailable', { detail: detail(r) });
  fatal(tr('loginFailedTitle'), msg, true);
  throw new Error(msg);
}

function wireFilters() {
  document.querySelectorAll('[data-filter]').forEach((b) => b.addEventListener('click', () => {
    state.filter[b.dataset.filter] = b.dataset.value;
    state.outcomes.clear();
    loadItems();
  }));
  $('#refresh').addEventListener('click', () => loadItems());
}

async function main() {
  state.lang = detectLang(navigator.languages?.length ? navigator.languages : [navigator.language]);
  applyStrings();
  wireFilters();
  showStatus(tr('loading'));

  let how;
  try {
    how = await sdk.ensureSDK();
  } catch {
    fatal(tr('setupFailedTitle'), tr('sdkLoadFailed'), true);
    return;
  }
  if (how === 'absent') {
    const other = state.lang === 'zh' ? 'en' : 'zh';
    fatal(tr('notInClientTitle'), tr('notInClientBody'), false, {
      lang: other === 'zh' ? 'zh-CN' : 'en', title: t(other, 'notInClientTitle'), body: t(other, 'notInClientBody'),
    });
    document.body.dataset.state = 'not-in-client';
    return;
  }

  // The client checks the signature against the page's own address, less
  // its fragment (§13.1).
  const pageURL = window.location.href.split('#')[0];
  const jssdkPath = `api/jssdk?url=${encodeURIComponent(pageURL)}`;
  let sig = await api('GET', jssdkPath);
  if (sig.status === 401 && sig.data && sig.data.appId) {
    // A store app signs the page with the ticket of the member's tenant,
    // known once logged in: log in first (that needs no signature), then
    // ask again.
    state.appId = sig.data.appId;
    try {
      state.me = await login();
    } catch {
      return; // login() showed why
    }
    sig = await api('GET', jssdkPath);
  }
  if (sig.status !== 200) {
    fatal(tr('setupFailedTitle'), tr('jssdkFailed', { detail: detail(sig) }), true);
    return;
  }
  state.appId = sig.data.appId;
  const { result, ready } = sdk.configure(window.h5sdk, sig.data, (err) => {
    banner('sdk-error', tr('sdkErrorTitle'), sdk.describe(err));
  });
  const timeout = new Promise((resolve) => { setTimeout(() => resolve({ ok: false, error: 'no answer to h5sdk.config' }), 15000); });
  const cfg = await Promise.race([result, timeout]);
  state.configOK = cfg.ok;
  if (!cfg.ok) {
    // Login needs no config (requestAccess is exempt); only sharing does.
    banner('config-error', tr('configFailedTitle'), tr('configFailedBody', { detail: sdk.describe(cfg.error) }));
  } else {
    try {
      await ready;
    } catch {
      fatal(tr('noReadyTitle'), tr('noReadyBody'), true);
      return;
    }
  }
  const clientLang = langOf(await sdk.systemLanguage(window.tt));
  if (clientLang && clientLang !== state.lang) {
    state.lang = clientLang;
    applyStrings();
  }

  const me = state.me ? { status: 200, data: state.me } : await api('GET', 'api/me');
  if (me.status === 200) {
    state.me = me.data;
  } else if (me.status === 401) {
    try {
      state.me = await login();
    } catch {
      return; // login() showed why
    }
  } else {
    fatal(tr('setupFailedTitle'), tr('serverUnavailable', { detail: detail(me) }), true);
    return;
  }
  showWho();
  await loadItems();
}

main();
