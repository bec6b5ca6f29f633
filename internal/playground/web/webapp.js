// webapp.js: botd's web app "inside the client" as one member sees it.
// A panel holds a frame of /as/{member}/app/: botd's own page, served
// through the playground's proxy with the simulated Feishu client (h5sdk,
// tt) put in front of it (webapp.go, clientsim.js). The panel's controls
// are the client's: its language, an old client without requestAccess,
// opening the app from a chat's "+" menu (triggerCode), and the answer the
// next tt.sendMessageCard gives, so that every message can be seen.
import { esc } from './render.js';

const ANSWER_LABELS = {
  '-1': 'no chat given', '-2': 'more than 10 chats', '-3': 'empty card', '-4': 'card cannot be read',
  '-5': 'send failed', '-6': 'the member cancels', '-7': 'other error', '-8': 'bad chat id',
  '-9': 'unknown error', '-10': 'choosing the chat failed', 42406: 'the note failed',
};

const ctx = { world: null, api: null, chatOf: null, member: null };
const $ = (sel, root = document) => root.querySelector(sel);

/** initWebApp builds the (hidden) panel; api(path, body) is the page's JSON client. */
export function initWebApp(opts) {
  Object.assign(ctx, opts);
  if (!ctx.world.web_app) return;
  const panel = document.createElement('aside');
  panel.id = 'webapp-panel';
  panel.className = 'webapp-panel';
  panel.hidden = true;
  panel.setAttribute('aria-label', 'botd web app in a simulated Feishu client');
  const answers = ['<option value="0">as the client would</option>',
    ...ctx.world.client_answers.map((c) => `<option value="${c}">errCode ${c}: ${esc(ANSWER_LABELS[c] || '')}</option>`)].join('');
  panel.innerHTML = `
    <header class="wa-head">
      <div class="wa-title"><span class="avatar" id="wa-avatar" aria-hidden="true"></span>
        <div><div class="wa-name" id="wa-name">Web app</div>
        <div class="wa-sub">botd's web app in a simulated Feishu client</div></div></div>
      <div class="wa-buttons">
        <button type="button" class="tb-btn" id="wa-reload" title="Open the page again">Reload</button>
        <a class="tb-btn" id="wa-window" target="_blank" rel="noopener" title="Open in a window of its own">New window ↗</a>
        <button type="button" class="tb-btn" id="wa-close" aria-label="Close the web app">Close ✕</button>
      </div>
    </header>
    <div class="wa-controls">
      <label>Opened from <select id="wa-from"></select></label>
      <label>Client language <select id="wa-lang"><option value="en_US">English</option><option value="zh_CN">中文</option></select></label>
      <label>Next share answers <select id="wa-next">${answers}</select></label>
      <label class="wa-check"><input type="checkbox" id="wa-old"> client before 6.9 (no requestAccess)</label>
      <div class="wa-size" role="group" aria-label="Screen">
        <button type="button" class="tb-btn" data-size="phone" aria-pressed="true">Phone</button>
        <button type="button" class="tb-btn" data-size="desktop" aria-pressed="false">Desktop</button>
      </div>
    </div>
    <div class="wa-stage"><iframe id="webapp-frame" title="botd web app" src="about:blank"></iframe></div>`;
  document.body.appendChild(panel);
  $('#wa-close').addEventListener('click', closeWebApp);
  $('#wa-reload').addEventListener('click', () => load());
  $('#wa-from').addEventListener('change', () => load());
  $('#wa-next').addEventListener('change', saveSettings);
  // The page reads the client's language and version once, when it opens.
  for (const id of ['#wa-lang', '#wa-old']) $(id).addEventListener('change', async () => { await saveSettings(); await load(); });
  panel.querySelectorAll('[data-size]').forEach((b) => b.addEventListener('click', () => {
    panel.dataset.size = b.dataset.size;
    document.body.classList.toggle('wa-desktop', b.dataset.size === 'desktop');
    panel.querySelectorAll('[data-size]').forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
  }));
  panel.dataset.size = 'phone';
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !panel.hidden) closeWebApp(); });
  // The simulated client says when it answered a JSAPI (clientsim.js): a
  // forced answer may have been used up.
  window.addEventListener('message', (ev) => {
    if (ev.origin === window.location.origin && ev.data?.type === 'clientsim:answered') refreshWebApp();
  });
}

/** openWebApp shows member's web app in the panel. */
export async function openWebApp(member) {
  const panel = $('#webapp-panel');
  if (!panel) return;
  ctx.member = member;
  $('#wa-name').textContent = `${member.name}'s web app`;
  const av = $('#wa-avatar');
  av.className = `avatar av-${member.open_id}`;
  av.textContent = member.name.slice(0, 1).toUpperCase();
  const from = $('#wa-from');
  const chats = ctx.world.chats.filter((c) => c.mode !== 'p2p' && c.members.includes(member.open_id));
  from.innerHTML = `<option value="">the app list (chat picker)</option>${chats.map((c) => `<option value="${esc(c.id)}">#${esc(c.name)}'s + menu (triggerCode)</option>`).join('')}`;
  panel.hidden = false;
  document.body.classList.add('wa-active');
  await refreshWebApp();
  await load();
}

function closeWebApp() {
  const panel = $('#webapp-panel');
  panel.hidden = true;
  document.body.classList.remove('wa-active');
  $('#webapp-frame').src = 'about:blank';
  ctx.member = null;
}

// load opens the page, from the app list or from a chat's "+" menu.
async function load() {
  const m = ctx.member;
  if (!m) return;
  let url = `/as/${encodeURIComponent(m.open_id)}/app/`;
  const chat = $('#wa-from').value;
  if (chat) {
    try {
      url = (await ctx.api('/api/client/trigger', { member: m.open_id, chat })).url;
    } catch (err) {
      alert(`Cannot open the web app from that chat: ${err.message}`); // eslint-disable-line no-alert
      return;
    }
  }
  $('#wa-window').href = url;
  $('#webapp-frame').src = url;
}

async function saveSettings() {
  const m = ctx.member;
  if (!m) return;
  try {
    await ctx.api('/api/client/settings', {
      member: m.open_id,
      language: $('#wa-lang').value,
      next_answer: Number($('#wa-next').value),
      old_client: $('#wa-old').checked,
    });
  } catch (err) {
    alert(`Cannot change the simulated client: ${err.message}`); // eslint-disable-line no-alert
  }
}

/**
 * refreshWebApp shows the member's client settings as the server has them:
 * a forced answer is used up by the next share, and the control says so.
 */
export async function refreshWebApp() {
  const m = ctx.member;
  if (!m || $('#webapp-panel')?.hidden) return;
  try {
    const st = await ctx.api(`/api/client/settings?member=${encodeURIComponent(m.open_id)}`);
    $('#wa-lang').value = st.language;
    $('#wa-next').value = String(st.next_answer);
    $('#wa-old').checked = !!st.old_client;
  } catch { /* the next state event tries again */ }
}
