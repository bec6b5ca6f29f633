// clientsim.js: the playground's simulated Feishu/Lark client, for botd's
// web app. The playground's proxy (webapp.go) puts this script first in the
// page's <head>, so window.h5sdk and window.tt exist before the page's own
// script runs, as the JSSDK would make them; the page itself is botd's
// production page, unchanged.
//
// What the client decides is decided by the playground's server, from the
// simulator's state (client.go): h5sdk.config checks the signature against
// the simulator's jsapi_ticket, tt.requestAccess issues a login code from
// its OAuth code store, tt.sendMessageCard sends through the simulator. This
// script only draws what the client draws: the chat picker.
//
// A classic script, not a module: it must run before the page's modules.
(function clientSim() {
  'use strict';

  const script = document.currentScript;
  const member = (script && script.dataset.member) || '';
  const MAX_WAIT = 15000; // ms for one request to the playground

  async function request(method, path, body) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), MAX_WAIT);
    try {
      const res = await fetch(`/api/client/${path}`, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctl.signal,
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
      return data;
    } finally {
      clearTimeout(timer);
    }
  }

  const settings = () => request('GET', `settings?member=${encodeURIComponent(member)}`);

  // answer calls a JSAPI's callbacks as the client does: asynchronously,
  // success or fail, then complete.
  function answer(opts, ok, res) {
    setTimeout(() => {
      try {
        const cb = ok ? opts && opts.success : opts && opts.fail;
        if (typeof cb === 'function') cb(res);
      } finally {
        if (opts && typeof opts.complete === 'function') opts.complete(res);
      }
    }, 0);
  }

  const fail = (api, code, msg) => ({ errCode: code, errMsg: `${api}:fail ${msg}` });

  // ---- h5sdk -----------------------------------------------------------------

  let configured = false; // h5sdk.config succeeded
  let isReady = false;
  const readyCallbacks = [];
  const errorCallbacks = [];

  function reportError(res) {
    for (const cb of errorCallbacks) {
      try { cb(res); } catch (err) { setTimeout(() => { throw err; }); }
    }
  }

  window.h5sdk = {
    config(opts) {
      const o = opts || {};
      request('POST', 'config', {
        member,
        url: window.location.href.split('#')[0], // the client's own address, as it checks it
        appId: String(o.appId || ''),
        timestamp: Number(o.timestamp) || 0,
        nonceStr: String(o.nonceStr || ''),
        signature: String(o.signature || ''),
      }).then((r) => {
        configured = r.ok;
        if (r.ok) {
          if (typeof o.onSuccess === 'function') o.onSuccess(r.res);
        } else {
          if (typeof o.onFail === 'function') o.onFail(r.res);
          reportError(r.res);
        }
      }, (err) => {
        const res = fail('config', -1, err.message);
        if (typeof o.onFail === 'function') o.onFail(res);
        reportError(res);
      }).finally(() => {
        isReady = true;
        readyCallbacks.splice(0).forEach((cb) => setTimeout(cb, 0));
      });
    },
    ready(cb) {
      if (typeof cb !== 'function') return;
      if (isReady) setTimeout(cb, 0);
      else readyCallbacks.push(cb);
    },
    error(cb) {
      if (typeof cb === 'function') errorCallbacks.push(cb);
    },
  };

  // ---- tt ----------------------------------------------------------------------

  async function login(api, opts, appId) {
    try {
      if (api === 'requestAccess') {
        if ((await settings()).old_client) {
          answer(opts, false, fail(api, 2700002, 'api not supported: requestAccess needs client 6.9.0 or later'));
          return;
        }
        if (!Array.isArray(opts.scopeList)) {
          answer(opts, false, fail(api, 2700001, 'scopeList is required (an array; [] for basic identity)'));
          return;
        }
      }
      const r = await request('POST', 'access', { member, appId: String(appId || ''), api });
      if (r.ok && api === 'requestAccess' && opts.state !== undefined) r.res.state = opts.state;
      answer(opts, r.ok, r.res);
    } catch (err) {
      answer(opts, false, fail(api, -1, err.message));
    }
  }

  async function sendMessageCard(opts) {
    const api = 'sendMessageCard';
    if (!configured) {
      // Every JSAPI but the login ones needs a successful config (§13.1).
      answer(opts, false, fail(api, -7, 'jsapi not authorised: h5sdk.config has not succeeded'));
      return;
    }
    if (opts.cardContent === undefined || opts.cardContent === null || opts.cardContent === '') {
      answer(opts, false, fail(api, -3, 'cardContent is empty'));
      return;
    }
    let chats = [];
    let triggerCode = '';
    try {
      if (opts.shouldChooseChat) {
        const picked = await pickChats(opts.chooseChatParams || {});
        if (picked === null) {
          answer(opts, false, fail(api, -6, 'cancel'));
          return;
        }
        chats = picked;
      } else if (Array.isArray(opts.openChatIDs) && opts.openChatIDs.length) {
        chats = opts.openChatIDs.map(String);
      } else if (opts.triggerCode) {
        triggerCode = String(opts.triggerCode);
      } else {
        answer(opts, false, fail(api, -1, 'openChatIDs is empty'));
        return;
      }
      const r = await request('POST', 'send-card', { member, openChatIDs: chats, triggerCode, cardContent: opts.cardContent });
      if (r.ok && !r.res.errMsg) r.res.errMsg = `${api}:ok`;
      answer(opts, r.ok, r.res);
    } catch (err) {
      answer(opts, false, fail(api, -9, err.message));
    } finally {
      notifyChrome();
    }
  }

  // notifyChrome tells the playground's panel around the frame, if any,
  // that the client answered (its controls show what is left to force).
  function notifyChrome() {
    if (window.parent !== window) window.parent.postMessage({ type: 'clientsim:answered', member }, window.location.origin);
  }

  window.tt = {
    requestAccess(opts) { login('requestAccess', opts || {}, (opts || {}).appID); },
    requestAuthCode(opts) { login('requestAuthCode', opts || {}, (opts || {}).appId); },
    getSystemInfo(opts) {
      settings().then(
        (st) => answer(opts, true, { language: st.language, platform: 'playground', appName: 'Feishu (simulated)', errMsg: 'getSystemInfo:ok' }),
        (err) => answer(opts, false, fail('getSystemInfo', -1, err.message)),
      );
    },
    sendMessageCard(opts) { sendMessageCard(opts || {}); },
  };

  // ---- the chat picker ------------------------------------------------------------
  // Drawn in a shadow root over the page, as the client draws its own
  // screen over the webview; the page's styles cannot reach it.

  const PICKER_TEXT = {
    en_US: { title: 'Send to', cancel: 'Cancel', send: 'Send', none: 'You are in no chat.', sim: 'Simulated client', group: 'Group', topic: 'Topic group', p2p: 'Chat with the bot' },
    zh_CN: { title: '发送给', cancel: '取消', send: '发送', none: '你不在任何会话中。', sim: '模拟客户端', group: '群组', topic: '话题群', p2p: '与机器人的单聊' },
  };

  const PICKER_CSS = `
    :host { all: initial; }
    .scrim { position: fixed; inset: 0; background: rgba(31,35,41,.45); display: flex; align-items: flex-end;
      justify-content: center; z-index: 2147483647; font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI",
      "PingFang SC", "Noto Sans CJK SC", Roboto, Helvetica, Arial, sans-serif; color: #1f2329; }
    .sheet { background: #fff; width: 100%; max-width: 480px; max-height: 80vh; border-radius: 14px 14px 0 0;
      display: flex; flex-direction: column; box-shadow: 0 -8px 30px rgba(0,0,0,.18); }
    @media (min-width: 600px) { .scrim { align-items: center; } .sheet { border-radius: 14px; } }
    header { display: flex; align-items: center; gap: 8px; padding: 12px 14px; border-bottom: 1px solid #dee0e3; }
    h2 { font-size: 16px; margin: 0; flex: 1; }
    .sim { font-size: 11px; color: #646a73; background: #eff0f1; border-radius: 4px; padding: 1px 6px; }
    ul { list-style: none; margin: 0; padding: 6px 0; overflow-y: auto; }
    label { display: flex; align-items: center; gap: 10px; padding: 8px 14px; cursor: pointer; }
    label:hover { background: #f5f6f7; }
    input { width: 18px; height: 18px; accent-color: #3370ff; flex: none; }
    .av { width: 34px; height: 34px; border-radius: 8px; display: inline-grid; place-items: center; color: #fff;
      font-weight: 600; flex: none; background: #3370ff; }
    .av.topic { background: #14b8b4; } .av.p2p { background: linear-gradient(135deg,#3370ff,#6b9bff); border-radius: 50%; }
    .name { font-weight: 500; } .kind { font-size: 12px; color: #8f959e; display: block; }
    footer { display: flex; gap: 10px; padding: 12px 14px; border-top: 1px solid #dee0e3; }
    button { font: inherit; flex: 1; border-radius: 8px; padding: 9px; border: 1px solid #d0d3d6; background: #fff; cursor: pointer; }
    button.send { background: #3370ff; border-color: #3370ff; color: #fff; }
    button:disabled { opacity: .5; cursor: not-allowed; }
    .none { padding: 20px 14px; color: #646a73; }`;

  // pickChats shows the picker and resolves with the chosen chat ids, or
  // null when the member cancels.
  async function pickChats(params) {
    const [st, list] = await Promise.all([settings(), request('GET', `chats?member=${encodeURIComponent(member)}`)]);
    const text = PICKER_TEXT[st.language] || PICKER_TEXT.en_US;
    const multi = params.multiSelect !== false;
    return new Promise((resolve) => {
      const host = document.createElement('div');
      host.setAttribute('data-clientsim', 'picker');
      const root = host.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = PICKER_CSS;
      const scrim = document.createElement('div');
      scrim.className = 'scrim';
      const sheet = document.createElement('div');
      sheet.className = 'sheet';
      sheet.setAttribute('role', 'dialog');
      sheet.setAttribute('aria-modal', 'true');
      sheet.setAttribute('aria-label', text.title);
      const head = document.createElement('header');
      const h2 = document.createElement('h2');
      h2.textContent = params.confirmTitle ? `${text.title} · ${params.confirmTitle}` : text.title;
      const sim = document.createElement('span');
      sim.className = 'sim';
      sim.textContent = text.sim;
      head.append(h2, sim);
      const ul = document.createElement('ul');
      for (const c of list.chats || []) {
        const li = document.createElement('li');
        const label = document.createElement('label');
        const input = document.createElement('input');
        input.type = multi ? 'checkbox' : 'radio';
        input.name = 'chat';
        input.value = c.id;
        const av = document.createElement('span');
        av.className = `av ${c.mode}`;
        av.textContent = (c.name || '?').slice(0, 1).toUpperCase();
        const names = document.createElement('span');
        const name = document.createElement('span');
        name.className = 'name';
        name.textContent = c.name || c.id;
        const kind = document.createElement('span');
        kind.className = 'kind';
        kind.textContent = text[c.mode] || c.mode;
        names.append(name, kind);
        label.append(input, av, names);
        li.append(label);
        ul.append(li);
      }
      if (!ul.children.length) {
        const none = document.createElement('li');
        none.className = 'none';
        none.textContent = text.none;
        ul.append(none);
      }
      const foot = document.createElement('footer');
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.textContent = text.cancel;
      const send = document.createElement('button');
      send.type = 'button';
      send.className = 'send';
      send.disabled = true;
      send.textContent = text.send;
      foot.append(cancel, send);
      sheet.append(head, ul, foot);
      scrim.append(sheet);
      root.append(style, scrim);

      const chosen = () => [...root.querySelectorAll('input:checked')].map((i) => i.value);
      ul.addEventListener('change', () => {
        const n = chosen().length;
        send.disabled = n === 0;
        send.textContent = n > 1 ? `${text.send} (${n})` : text.send;
      });
      const done = (value) => {
        host.remove();
        document.removeEventListener('keydown', onKey, true);
        resolve(value);
      };
      const onKey = (ev) => { if (ev.key === 'Escape') done(null); };
      cancel.addEventListener('click', () => done(null));
      scrim.addEventListener('click', (ev) => { if (ev.target === scrim) done(null); });
      send.addEventListener('click', () => done(chosen()));
      document.addEventListener('keydown', onKey, true);
      document.body.append(host);
      (ul.querySelector('input') || cancel).focus();
    });
  }
}());
