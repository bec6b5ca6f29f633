// sdk.js: the Feishu/Lark client's JSSDK (window.h5sdk, window.tt) as
// promises (feishu-platform.md §13). Nothing else in the page touches the
// client.
//
// Loading the JSSDK. The client does not inject it: a page includes the
// script from the platform's CDN. The page must also work with no network
// beyond botd in an ordinary browser (it then says where to open it), and
// in botd's playground, which puts a simulated h5sdk/tt on the window
// before this module runs. So:
//   - window.h5sdk already there (the playground, or a client that injects
//     it): use it, load nothing;
//   - else, only when the user agent is the Feishu/Lark client's, load the
//     script from SDK_URL;
//   - else (an ordinary browser): load nothing, report "not in client".
// The script tag is added at run time rather than written into index.html
// so that an ordinary browser never fetches from the CDN.

/** SDK_URL is the JSSDK the official web app guide includes (version 1.5.23). */
export const SDK_URL = 'https://lf1-cdn-tos.bytegoofy.com/goofy/lark/op/h5-js-sdk-1.5.23.js';

/** JS_API_LIST names every JSAPI the page calls (§13.1: list what you call). */
export const JS_API_LIST = ['sendMessageCard', 'requestAccess', 'requestAuthCode', 'getSystemInfo'];

const LOAD_TIMEOUT = 15000; // ms for the script and for h5sdk.ready
const CALL_TIMEOUT = 120000; // ms for a JSAPI that shows the member a screen (login consent, chat picker)

/** inClientUA: the user agent is the Feishu/Lark client's webview. */
export function inClientUA(ua) {
  return /\b(Lark|Feishu)\b/i.test(ua || '');
}

/**
 * ensureSDK resolves with "present" (h5sdk was there), "loaded" (fetched
 * from SDK_URL) or "absent" (not in the client: nothing was fetched), and
 * rejects when the script could not be loaded.
 */
export function ensureSDK(win = window) {
  if (win.h5sdk) return Promise.resolve('present');
  if (!inClientUA(win.navigator?.userAgent)) return Promise.resolve('absent');
  return new Promise((resolve, reject) => {
    const s = win.document.createElement('script');
    s.src = SDK_URL;
    s.async = true;
    const timer = setTimeout(() => reject(new Error('timeout loading the JSSDK')), LOAD_TIMEOUT);
    s.onload = () => {
      clearTimeout(timer);
      if (win.h5sdk) resolve('loaded');
      else reject(new Error('the JSSDK script defined no h5sdk'));
    };
    s.onerror = () => {
      clearTimeout(timer);
      reject(new Error('the JSSDK script failed to load'));
    };
    win.document.head.appendChild(s);
  });
}

/** describe turns a client error object into one readable line. */
export function describe(err) {
  if (!err) return 'unknown error';
  if (typeof err === 'string') return err;
  if (err instanceof Error) return err.message;
  const parts = [];
  const code = err.errCode ?? err.errno ?? err.code;
  if (code !== undefined) parts.push(String(code));
  const msg = err.errMsg ?? err.errString ?? err.message ?? err.msg;
  if (msg) parts.push(String(msg));
  return parts.join(' ') || JSON.stringify(err).slice(0, 200);
}

/**
 * configure calls h5sdk.config with the server's signature. It returns
 * { result, ready }: result resolves { ok: true } on onSuccess and
 * { ok: false, error } on onFail (or on an h5sdk.error before either), so
 * that the member can still log in (requestAccess needs no config) and only
 * sharing is off; ready is a promise of h5sdk.ready. onError receives what
 * h5sdk.error reports after a successful config.
 */
export function configure(h5sdk, sig, onError) {
  let settled = null; // null, then true (ok) or false (failed)
  let settle;
  const result = new Promise((resolve) => {
    settle = (r) => {
      if (settled !== null) return;
      settled = r.ok;
      resolve(r);
    };
  });
  h5sdk.error((err) => {
    if (settled === null) settle({ ok: false, error: err });
    else if (settled) onError(err);
    // else: the failed config, already reported
  });
  h5sdk.config({
    appId: sig.appId,
    timestamp: sig.timestamp,
    nonceStr: sig.nonceStr,
    signature: sig.signature,
    jsApiList: JS_API_LIST,
    onSuccess: () => settle({ ok: true }),
    onFail: (error) => settle({ ok: false, error }),
  });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('h5sdk.ready was never called')), LOAD_TIMEOUT);
    h5sdk.ready(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { result, ready };
}

/** systemLanguage is the client's language (tt.getSystemInfo), or null. */
export function systemLanguage(tt) {
  if (!tt || typeof tt.getSystemInfo !== 'function') return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 3000);
    try {
      tt.getSystemInfo({
        success: (res) => { clearTimeout(timer); resolve(res?.language || null); },
        fail: () => { clearTimeout(timer); resolve(null); },
      });
    } catch {
      clearTimeout(timer);
      resolve(null);
    }
  });
}

function call(tt, name, params) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the client did not answer')), CALL_TIMEOUT);
    try {
      tt[name]({
        ...params,
        success: (res) => { clearTimeout(timer); resolve(res || {}); },
        fail: (err) => { clearTimeout(timer); reject(err || {}); },
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err);
    }
  });
}

/**
 * unsupported says a requestAccess failure means "this client has no
 * requestAccess" (before 6.9.0), so requestAuthCode is worth a try; any
 * other failure (the member refused, a wrong appID) is final.
 */
export function unsupported(err) {
  const text = describe(err).toLowerCase();
  return /not ?support|unsupport|not (found|exist|implemented)|no such|unknown (api|method)|undefined|is not a function/.test(text);
}

/**
 * loginCode gets a one-time login code from the client: tt.requestAccess
 * (client 6.9.0+, code valid 3 minutes), else tt.requestAuthCode on older
 * clients (§13.2).
 */
export async function loginCode(tt, appId, state) {
  if (typeof tt?.requestAccess === 'function') {
    try {
      const res = await call(tt, 'requestAccess', { appID: appId, scopeList: [], state });
      if (res.code) return res.code;
      throw new Error('requestAccess answered without a code');
    } catch (err) {
      if (!unsupported(err) || typeof tt.requestAuthCode !== 'function') throw err;
    }
  }
  if (typeof tt?.requestAuthCode !== 'function') throw new Error('this client offers neither requestAccess nor requestAuthCode');
  const res = await call(tt, 'requestAuthCode', { appId });
  if (!res.code) throw new Error('requestAuthCode answered without a code');
  return res.code;
}

/**
 * sendCard runs tt.sendMessageCard and resolves { ok, res } for both its
 * success and its fail callback (a fail is an outcome to show, not an
 * exception); it rejects only when the client never answers.
 */
export function sendCard(tt, params) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the client did not answer')), CALL_TIMEOUT);
    try {
      tt.sendMessageCard({
        ...params,
        success: (res) => { clearTimeout(timer); resolve({ ok: true, res: res || {} }); },
        fail: (res) => { clearTimeout(timer); resolve({ ok: false, res: res || {} }); },
      });
    } catch (err) {
      clearTimeout(timer);
      reject(err);
    }
  });
}
