// app.js is the chat page: three columns, one per member, kept live from
// the server's event stream (/api/events). Everything a member does goes
// through the playground's API, which plays the Feishu platform toward botd;
// the page never changes what it shows on its own, except the toasts.
import { renderCard, esc } from './render.js';
import { ok as callOK, retriedBy } from './calls.js';
import { initWebApp, openWebApp, refreshWebApp } from './webapp.js';

const state = {
  world: null,
  view: null,
  locale: 'en_us',
  offsetMS: 0,
  calls: new Map(), // seq -> call
  tab: '', // the chat shown: a group's id, or 'p2p' (each member's one-to-one chat with the bot)
  seen: new Map(), // tab -> how many items it had when last shown, for the unread marks
};

const EYE = '<svg aria-hidden="true" viewBox="0 0 24 24" width="13" height="13"><path d="M2 12s3.6-6.5 10-6.5S22 12 22 12s-3.6 6.5-10 6.5S2 12 2 12z" fill="none" stroke="currentColor" stroke-width="2"/><circle cx="12" cy="12" r="3" fill="currentColor"/></svg>';

const $ = (sel, root = document) => root.querySelector(sel);

async function api(path, body) {
  const res = await fetch(path, body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function memberById(id) {
  return state.world.members.find((m) => m.open_id === id);
}

function initials(name) {
  return (name || '?').slice(0, 1).toUpperCase();
}

// Times are shown in the zone of the member whose column shows them, as
// their own client would; a bad zone falls back to the browser's.
function inZone(opts, tz) {
  try {
    return new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: tz });
  } catch {
    return new Intl.DateTimeFormat('en-GB', opts);
  }
}

function timeOf(iso, tz) {
  return inZone({ hour: '2-digit', minute: '2-digit' }, tz).format(new Date(iso));
}

// zoneLabel is a zone's short name at a moment, e.g. "GMT+8" or "CET".
function zoneLabel(date, tz) {
  const part = inZone({ timeZoneName: 'short' }, tz).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part ? part.value : tz;
}

function memberLocalTime(date, tz) {
  return `${inZone({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }, tz).format(date)} ${zoneLabel(date, tz)}`;
}

// ---- columns -------------------------------------------------------------

function buildColumns() {
  const root = $('#members');
  for (const m of state.world.members) {
    const col = document.createElement('section');
    col.className = 'member';
    col.dataset.member = m.open_id;
    col.setAttribute('aria-label', `${m.name}'s view of the chat`);
    col.innerHTML = `
      <header class="member-head">
        <span class="avatar av-${esc(m.open_id)}" aria-hidden="true">${esc(initials(m.name))}</span>
        <div class="who"><div class="name">${esc(m.name)}
          ${m.role === 'admin' ? '<span class="role">Admin</span>' : ''}
          ${state.world.web_app ? `<button type="button" class="webapp-open" data-webapp="${esc(m.open_id)}"
            title="Open botd's web app in ${esc(m.name)}'s (simulated) Feishu client">Web app</button>` : ''}</div>
          <div class="sub"><span class="sub-chat"></span> · ${esc(m.timezone)}</div></div>
        <div class="member-clock" title="${esc(m.name)}'s local time">local time<time class="local-time" data-tz="${esc(m.timezone)}">–</time></div>
      </header>
      <ol class="timeline" aria-live="polite"></ol>
      <div class="toasts" role="status" aria-live="assertive"></div>
      <form class="composer">
        <label class="sr-only" for="msg-${esc(m.open_id)}">Message as ${esc(m.name)}</label>
        <input id="msg-${esc(m.open_id)}" name="text" autocomplete="off"
          placeholder="Message as ${esc(m.name)}">
        <button type="submit" class="send">Send</button>
      </form>`;
    root.appendChild(col);
    const tab = document.createElement('button');
    tab.type = 'button';
    tab.className = 'member-tab';
    tab.setAttribute('role', 'tab');
    tab.dataset.member = m.open_id;
    tab.innerHTML = `<span class="avatar av-${esc(m.open_id)}" aria-hidden="true">${esc(initials(m.name))}</span>${esc(m.name)}`;
    tab.addEventListener('click', () => showMember(m.open_id));
    $('#member-tabs').appendChild(tab);
    $('.composer', col).addEventListener('submit', (ev) => onSend(ev, m));
    $('.timeline', col).addEventListener('click', (ev) => onCardClick(ev, m));
    $('.webapp-open', col)?.addEventListener('click', () => openWebApp(m));
  }
}

// ---- chats -------------------------------------------------------------------

const MODE_LABEL = { group: 'group', topic: 'topic group', p2p: 'one-to-one with the bot' };

// chatOf is the chat member sees under the current tab: the group, or
// their own one-to-one chat with the bot; null when they are not in it.
function chatOf(member, tab = state.tab) {
  if (tab === 'p2p') return state.world.chats.find((c) => c.mode === 'p2p' && c.members.includes(member)) || null;
  const c = state.world.chats.find((x) => x.id === tab);
  return c && c.members.includes(member) ? c : null;
}

function tabLabel(tab) {
  if (tab === 'p2p') return `${state.world.bot_name} · direct`;
  const c = state.world.chats.find((x) => x.id === tab);
  return c ? `# ${c.name}` : tab;
}

// tabCount is how many items every member sees under tab, for the unread marks.
function tabCount(tab) {
  if (!state.view) return 0;
  let n = 0;
  for (const m of state.world.members) {
    const c = chatOf(m.open_id, tab);
    if (c) n += (state.view.chats[c.id]?.[m.open_id] || []).length;
  }
  return n;
}

function tabs() {
  const out = state.world.chats.filter((c) => c.mode !== 'p2p').map((c) => c.id);
  if (state.world.chats.some((c) => c.mode === 'p2p')) out.push('p2p');
  return out;
}

function buildChatTabs() {
  const bar = $('#chat-tabs');
  for (const tab of tabs()) {
    const c = state.world.chats.find((x) => x.id === tab);
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chat-tab';
    b.setAttribute('role', 'tab');
    b.dataset.chat = tab;
    b.title = tab === 'p2p' ? "Each member's one-to-one chat with the bot" : `${c.name}: a ${MODE_LABEL[c.mode]} of ${c.members.map((id) => memberById(id)?.name || id).join(', ')}`;
    b.innerHTML = `<span class="tab-name">${esc(tabLabel(tab))}</span>${c && c.mode === 'topic' ? '<span class="tab-kind">topics</span>' : ''}<span class="unread" hidden></span>`;
    b.addEventListener('click', () => showChat(tab));
    bar.appendChild(b);
  }
}

// markUnread shows, on every tab not shown, how many items arrived since it was.
function markUnread() {
  for (const b of document.querySelectorAll('#chat-tabs .chat-tab')) {
    const tab = b.dataset.chat;
    const n = tabCount(tab);
    if (tab === state.tab || !state.seen.has(tab)) state.seen.set(tab, n);
    const fresh = n - state.seen.get(tab);
    const badge = $('.unread', b);
    badge.hidden = fresh <= 0;
    badge.textContent = fresh > 0 ? String(fresh) : '';
  }
}

// showChat switches every column to another chat.
function showChat(tab) {
  state.tab = tab;
  document.querySelectorAll('#chat-tabs .chat-tab').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.chat === tab)));
  $('#chat-title').textContent = tabLabel(tab);
  document.title = `${tabLabel(tab)} · botd playground`;
  for (const m of state.world.members) {
    const col = $(`section.member[data-member="${m.open_id}"]`);
    const c = chatOf(m.open_id);
    col.classList.toggle('outside', !c);
    $('.sub-chat', col).textContent = c ? (c.mode === 'p2p' ? `chat with ${state.world.bot_name}` : `#${c.name}`) : 'not in this chat';
    const list = $('.timeline', col);
    list.replaceChildren(c ? welcome(m, c) : outside(m));
    $('.toasts', col).replaceChildren(); // a toast belongs to a card of the chat left
    const input = $('.composer input', col);
    input.disabled = !c;
    $('.composer .send', col).disabled = !c;
    input.placeholder = c ? `Message as ${m.name}` : `${m.name} is not in this chat`;
  }
  renderColumns();
}

// outside is what a member's column shows for a chat they are not in.
function outside(m) {
  const li = document.createElement('li');
  li.className = 'outside-note';
  li.dataset.messageId = 'welcome';
  li.textContent = `${m.name} is not a member of ${tabLabel(state.tab)}, so this column shows nothing here.`;
  return li;
}

// showMember picks the column shown when the columns are tabs (narrow
// windows); on wide ones every column shows and this only marks the tab.
function showMember(id) {
  document.querySelectorAll('#members .member').forEach((c) => c.classList.toggle('active', c.dataset.member === id));
  document.querySelectorAll('#member-tabs .member-tab').forEach((t) => t.setAttribute('aria-selected', String(t.dataset.member === id)));
}

// welcome is the page's own first message in every column (botd sends
// nothing until spoken to): what the chat is and the flows' example
// commands (the registry's), each of which fills in the message box.
function welcome(m, chat) {
  const li = document.createElement('li');
  li.className = 'msg bot welcome';
  li.dataset.messageId = 'welcome';
  const examples = [...(state.world.examples || []), '/help'];
  const others = chat.members.filter((id) => id !== m.open_id).map((id) => memberById(id)?.name || id);
  let intro;
  if (chat.mode === 'p2p') {
    intro = `This is ${esc(m.name)}'s one-to-one chat with ${esc(state.world.bot_name)}: commands work here too, and the forms of a topic group arrive here.`;
  } else if (chat.mode === 'topic') {
    intro = `This is <b>#${esc(chat.name)}</b>, a topic group, as ${esc(m.name)} sees it. Topic groups have no "only visible to you" cards: botd sends ${esc(m.name)}'s forms to the <b>${esc(state.world.bot_name)} · direct</b> tab, and the finished card comes back here.`;
  } else {
    intro = `Hi ${esc(m.name)}! This is <b>#${esc(chat.name)}</b> as ${esc(m.name)} sees it${others.length ? `, with ${esc(others.join(' and '))}` : ''}; the other columns are the other members.`;
  }
  li.innerHTML = `
    <span class="avatar av-bot" aria-hidden="true">${esc(initials(state.world.bot_name))}</span>
    <div class="msg-main">
      <div class="meta"><span class="sender">${esc(state.world.bot_name)}</span><span class="bot-tag">Bot</span><span class="eph-mark">playground tip</span></div>
      <div class="bubble">${intro}
        Times ${esc(m.name)} types are in ${esc(m.name)}'s zone, ${esc(m.timezone)}: "tomorrow" is ${esc(m.name)}'s tomorrow. Try a command:
        <span class="examples">${examples.map((e) => `<button type="button" class="example" data-example="${esc(e)}">${esc(e)}</button>`).join('')}</span></div>
    </div>`;
  li.addEventListener('click', (ev) => {
    const b = ev.target.closest('button[data-example]');
    if (!b) return;
    const input = $(`[data-member="${m.open_id}"] .composer input`);
    input.value = b.dataset.example;
    input.focus();
  });
  return li;
}

async function onSend(ev, m) {
  ev.preventDefault();
  const input = ev.target.elements.text;
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  try {
    const res = await api('/api/send', { member: m.open_id, chat: chatOf(m.open_id)?.id, text });
    if (res.status !== 200) toast(m.open_id, 'error', `botd answered HTTP ${res.status}`);
  } catch (err) {
    toast(m.open_id, 'error', err.message);
  }
}

// itemKey changes whenever what an item shows changes, so unchanged cards
// keep their DOM (and what a member is typing into them) across updates.
function itemKey(it) {
  return `${it.kind}|${state.locale}|${it.ephemeral}|${it.text || ''}|${it.card ? JSON.stringify(it.card) : ''}`;
}

function renderItem(it, member) {
  const li = document.createElement('li');
  li.dataset.messageId = it.id;
  li.dataset.kind = it.kind;
  li.dataset.key = itemKey(it);
  const fromBot = it.from === state.world.bot_open_id;
  const who = fromBot ? { name: state.world.bot_name } : (memberById(it.from) || { name: it.from });
  const mine = it.from === member.open_id;
  li.className = `msg${fromBot ? ' bot' : ''}${mine ? ' mine' : ''}${it.ephemeral ? ' ephemeral' : ''}`;
  let body;
  if (it.kind === 'text') {
    body = `<div class="bubble">${mentionText(it.text)}</div>`;
  } else {
    body = `<div class="card-wrap">${renderCard(it.card, {
      locale: state.locale, members: state.world.members, botId: state.world.bot_open_id,
      botName: state.world.bot_name, idPrefix: `${member.open_id}-${it.id}`,
      zone: zoneLabel(new Date(it.time), member.timezone),
    })}</div>`;
  }
  const mark = it.ephemeral ? `<span class="eph-mark">${EYE}Only visible to you</span>` : '';
  const edited = it.updates ? '<span class="edited">updated</span>' : '';
  li.innerHTML = `
    <span class="avatar${fromBot ? ' av-bot' : ` av-${esc(it.from)}`}" aria-hidden="true">${esc(initials(who.name))}</span>
    <div class="msg-main">
      <div class="meta"><span class="sender">${esc(who.name)}</span>${fromBot ? '<span class="bot-tag">Bot</span>' : ''}
        <time datetime="${esc(it.time)}" title="${esc(memberLocalTime(new Date(it.time), member.timezone))}">${esc(timeOf(it.time, member.timezone))}</time>${edited}${mark}</div>
      ${body}
    </div>`;
  return li;
}

// mentionText shows a typed message with @Names highlighted.
function mentionText(text) {
  const names = [state.world.bot_name, ...state.world.members.map((m) => m.name)];
  return esc(text).replace(/@([\p{L}\p{N}_.-]+)/gu, (tok, name) => (
    names.some((n) => n.toLowerCase() === name.toLowerCase()) ? `<span class="mention">${tok}</span>` : tok));
}

function renderColumns() {
  if (!state.view) return;
  markUnread();
  for (const m of state.world.members) {
    const list = $(`[data-member="${m.open_id}"] .timeline`);
    const c = chatOf(m.open_id);
    const items = (c && state.view.chats[c.id]?.[m.open_id]) || [];
    const existing = new Map([...list.children].map((li) => [li.dataset.messageId, li]));
    let ref = list.firstChild;
    if (ref?.dataset.messageId === 'welcome') ref = ref.nextSibling; // the page's own, always first
    let added = false;
    for (const it of items) {
      let li = existing.get(it.id);
      if (!li || li.dataset.key !== itemKey(it)) {
        const fresh = renderItem(it, m);
        if (li) {
          // The fresh node takes the old one's place, cursor included.
          if (li === ref) ref = fresh;
          li.replaceWith(fresh);
        }
        li = fresh;
        added = true;
      }
      if (li === ref) ref = ref.nextSibling;
      else list.insertBefore(li, ref);
    }
    while (ref) {
      const next = ref.nextSibling;
      ref.remove();
      ref = next;
    }
    if (added) list.scrollTop = list.scrollHeight;
  }
}

// ---- cards: clicks and form submits ---------------------------------------

function formFields(form) {
  return [...form.querySelectorAll('[data-field]')].map((el) => {
    let value = el.value;
    if (el.multiple) value = [...el.selectedOptions].map((o) => o.value);
    if (el.type === 'checkbox') value = el.checked;
    return { name: el.name, tag: el.dataset.tag, value, el };
  });
}

async function onCardClick(ev, m) {
  const btn = ev.target.closest('button[data-button]');
  if (!btn || btn.disabled) return;
  const li = btn.closest('li[data-message-id]');
  const form = btn.closest('form');
  const action = btn.dataset.action;
  if (action === 'reset') {
    form?.reset();
    return;
  }
  if (action === 'link') {
    if (btn.dataset.url) window.open(btn.dataset.url, '_blank', 'noopener');
    return;
  }
  if (action !== 'callback' && action !== 'submit') return;
  const req = { member: m.open_id, chat: chatOf(m.open_id)?.id, message_id: li.dataset.messageId, button: btn.dataset.button };
  if (action === 'submit' && form) {
    const fields = formFields(form);
    const missing = fields.filter((f) => f.el.required && (Array.isArray(f.value) ? !f.value.length : f.value === ''));
    form.querySelectorAll('.missing').forEach((el) => el.classList.remove('missing'));
    if (missing.length) {
      // The client blocks the submit and sends no callback (§8.5).
      missing.forEach((f) => f.el.classList.add('missing'));
      toast(m.open_id, 'error', state.locale === 'zh_cn' ? '有必填项未填写' : 'Required fields are missing', li);
      return;
    }
    req.form = fields.map(({ name, tag, value }) => ({ name, tag, value }));
    req.submit = true;
  }
  // Where the card is now: the answer may replace or delete it, and its
  // toast still belongs here.
  const at = li.getBoundingClientRect();
  const buttons = li.querySelectorAll('button[data-button]');
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const res = await api('/api/action', req);
    if (res.toast) toast(m.open_id, res.toast.type, res.toast.content, at);
  } catch (err) {
    toast(m.open_id, 'error', err.message, at);
  } finally {
    // The card may have been replaced or deleted meanwhile; then these
    // buttons are gone and this does nothing.
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// toast shows a client notice in a member's column, over the card whose
// button was pressed (near: its element, or its box as it was at the click)
// or at the top of the column; a new toast replaces the one still showing.
function toast(member, type, content, near) {
  const col = $(`section.member[data-member="${member}"]`);
  const box = $('.toasts', col);
  const el = document.createElement('div');
  const kind = ['success', 'error', 'warning', 'info'].includes(type) ? type : 'info';
  el.className = `toast toast-${kind}`;
  el.innerHTML = `<span class="toast-icon" aria-hidden="true">${{ success: '✓', error: '!', warning: '!', info: 'i' }[kind]}</span>${esc(content)}`;
  const colBox = col.getBoundingClientRect();
  const line = $('.timeline', col).getBoundingClientRect();
  let top = line.top - colBox.top + 8;
  if (near) {
    const r = near instanceof Element ? near.getBoundingClientRect() : near;
    // Over the card's upper part, kept inside the visible timeline.
    const want = Math.max(r.top, line.top) + Math.min(40, r.height / 3) - colBox.top;
    top = Math.min(Math.max(want, top), line.bottom - colBox.top - 48);
  }
  box.style.top = `${Math.round(top)}px`;
  box.replaceChildren(el);
  clearTimeout(box.timer);
  box.timer = setTimeout(() => el.remove(), 4000);
}

// ---- the Open API call log --------------------------------------------------

function pretty(raw) {
  if (raw === undefined || raw === null) return '';
  let v = raw;
  if (typeof v === 'string') {
    try { v = JSON.parse(v); } catch { return v; }
  }
  // Cards travel as a JSON string inside im/v1 bodies: show them unfolded.
  if (v && typeof v.content === 'string') {
    try { v = { ...v, content: JSON.parse(v.content) }; } catch { /* plain text */ }
  }
  return JSON.stringify(v, null, 2);
}

function addCall(c) {
  if (state.calls.has(c.seq)) return;
  // A failure that botd then retried with success (an expired token's
  // 99991663) is part of normal work: marked "retried", not red.
  for (const seq of retriedBy(state.calls.values(), c)) {
    state.calls.get(seq).retried = true;
    const prev = $(`#calls li[data-seq="${seq}"]`);
    prev?.classList.replace('failed', 'retried');
    prev?.querySelector('.status')?.insertAdjacentHTML('beforeend', ' · <span class="retried-mark" title="botd retried it and the retry succeeded">retried ✓</span>');
  }
  state.calls.set(c.seq, c);
  const ok = callOK(c);
  const li = document.createElement('li');
  li.dataset.seq = String(c.seq);
  li.className = `call${ok ? '' : ' failed'}`;
  li.innerHTML = `<details>
      <summary><span class="method m-${esc(c.method)}">${esc(c.method)}</span>
        <span class="route">${esc(c.path.replace('/open-apis', ''))}</span>
        <span class="status">${esc(c.status)}${c.code ? ` · code ${esc(c.code)}` : ''}${c.duplicate ? ' · duplicate' : ''}</span></summary>
      <div class="call-detail">
        <div class="call-time">${esc(new Date(c.time).toLocaleTimeString())} ${esc(c.method)} ${esc(c.path)}${c.query ? `?${esc(c.query)}` : ''}</div>
        ${c.body ? `<h4>Request</h4><pre>${esc(pretty(c.body))}</pre>` : ''}
        <h4>Response</h4><pre>${esc(pretty(c.response))}</pre>
      </div></details>`;
  const list = $('#calls');
  list.appendChild(li);
  $('#calls-count').textContent = String(state.calls.size);
  list.parentElement.scrollTop = list.parentElement.scrollHeight;
}

// ---- the clock ----------------------------------------------------------------

function showClock() {
  const now = new Date(Date.now() + state.offsetMS);
  $('#clock-now').textContent = now.toLocaleString([], {
    weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  $('#clock-now').dateTime = now.toISOString();
  document.querySelectorAll('.local-time').forEach((el) => {
    el.textContent = memberLocalTime(now, el.dataset.tz);
    el.dateTime = now.toISOString();
  });
  const badge = $('#clock-offset');
  badge.hidden = state.offsetMS <= 0;
  if (state.offsetMS > 0) {
    const mins = Math.round(state.offsetMS / 60000);
    const d = Math.floor(mins / 1440);
    const h = Math.floor((mins % 1440) / 60);
    const mm = mins % 60;
    badge.textContent = `+${d ? `${d}d ` : ''}${h ? `${h}h ` : ''}${mm || (!d && !h) ? `${mm}m` : ''}`.trim();
  }
}

async function advance(body, path = '/api/clock') {
  try {
    const res = await api(path, body);
    state.offsetMS = res.offset_ms;
    showClock();
  } catch (err) {
    alert(`Cannot move the clock: ${err.message}`); // eslint-disable-line no-alert
  }
}

function wireControls() {
  document.querySelectorAll('[data-advance]').forEach((b) => b.addEventListener('click', () => advance({ by: b.dataset.advance })));
  // "Next due" lands on the next scheduled moment, so a reminder fires on
  // time; only when botd lets the playground read its due set.
  $('#ff-next').hidden = !state.world.next_due;
  $('#ff-next').addEventListener('click', () => advance({}, '/api/clock/next-due'));
  $('#ff-go').addEventListener('click', () => {
    const v = $('#ff-to').value;
    if (v) advance({ to: new Date(v).toISOString() });
  });
  $('#lang').addEventListener('change', (ev) => {
    state.locale = ev.target.value;
    renderColumns();
  });
  setInterval(showClock, 1000);
}

// ---- live updates --------------------------------------------------------------

function connect() {
  const es = new EventSource('/api/events');
  es.addEventListener('reset', () => {
    state.calls.clear();
    $('#calls').innerHTML = '';
  });
  es.addEventListener('call', (ev) => addCall(JSON.parse(ev.data)));
  es.addEventListener('state', (ev) => {
    state.view = JSON.parse(ev.data);
    state.offsetMS = state.view.offset_ms;
    showClock();
    renderColumns();
    refreshWebApp();
    document.body.dataset.live = 'true';
  });
  es.onerror = () => { document.body.dataset.live = 'false'; };
}

async function main() {
  state.world = await api('/api/world');
  buildChatTabs();
  buildColumns();
  initWebApp({ world: state.world, api, chatOf: (member) => chatOf(member) });
  showChat(state.world.chat_id);
  showMember(state.world.members[0].open_id);
  $('#clock-label').textContent = `Simulated time (your browser, ${zoneLabel(new Date(), undefined)})`;
  wireControls();
  showClock();
  connect();
}

main();

