// What the widget and the admin pages share (a thread of messages is thread.js); no function exists twice.

/** Creates an element. This is the escaping: text is always set as textContent, never parsed as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export const $ = (id) => document.getElementById(id);

// ---- Translations: flat { "key": "text" } files in /i18n/, the same keys for the widget and the console.

const LOCALES = ['en', 'tr'];
let strings = {};
let fallback = {};
let current = 'en';

/** The first supported locale among the wanted one and the browser's. */
export function pickLocale(wanted) {
  for (const candidate of [wanted, ...(navigator.languages ?? [navigator.language])]) {
    const base = String(candidate ?? '').toLowerCase().split('-')[0];
    if (LOCALES.includes(base)) return base;
  }
  return 'en';
}

/** Loads the texts of a locale (and English for keys it lacks); base is the server's URL. */
export async function loadLocale(locale, base = '') {
  const get = async (l) => (await fetch(`${base}/i18n/${l}.json`)).json();
  current = pickLocale(locale);
  [fallback, strings] = await Promise.all([get('en'), current === 'en' ? null : get(current)].map((p) => p && p.catch(() => ({}))));
  strings ??= fallback;
  return current;
}

export const locale = () => current;

/** A text; {name} placeholders come from vars. */
export function t(key, vars = {}) {
  const text = strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

/** Fills data-i18n (text), data-i18n-label (aria-label), data-i18n-placeholder and data-i18n-title under root. */
export function translate(root) {
  for (const node of root.querySelectorAll('[data-i18n],[data-i18n-label],[data-i18n-placeholder],[data-i18n-title]')) {
    if (node.dataset.i18n) node.textContent = t(node.dataset.i18n);
    if (node.dataset.i18nLabel) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
    if (node.dataset.i18nPlaceholder) node.setAttribute('placeholder', t(node.dataset.i18nPlaceholder));
    if (node.dataset.i18nTitle) node.setAttribute('title', t(node.dataset.i18nTitle));
  }
}

/** An API or socket error's text, by its stable code (never the server's English message). */
export function errorText(e) {
  const key = `error.${e?.error ?? 'unknown'}`;
  return t(key) === key ? t('error.unknown') : t(key);
}

// ---- Time

/** "14:05" today, "3 Mar, 14:05" otherwise, in the page's locale. */
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(current, today ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }).format(d);
}

/** A full date and time, for details and tooltips. */
export const formatDateTime = (iso) => (iso ? new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '');

/** A fresh id for a message, so that a retried send is stored once. */
export const newClientMsgId = () => crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

// ---- HTTP

/** API calls: JSON in and out, the CSRF token when given, errors as { error, message }. */
export async function api(path, { method = 'GET', body, csrf, credentials = 'same-origin' } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials });
  } catch {
    throw { error: 'offline' };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw { status: response.status, ...(data ?? { error: 'server_error' }) };
  return data;
}

// ---- The socket client: reconnects with backoff, re-sends what was not acknowledged, reports its state.

/** Close codes after which reconnecting cannot help (see docs/protocol.md). */
const FINAL = { 4401: 'unauthorized', 4403: 'signed_out', 1007: 'broken', 1009: 'broken' };

/**
 * A JSON WebSocket that stays connected. hello() gives the first frame on each connection (the visitor's auth),
 * onFrame gets every frame, onState gets 'connecting' | 'open' | 'waiting' (with the delay) | 'offline' | a FINAL reason.
 */
export class ChatSocket {
  constructor(url, { hello, onFrame, onState, onOpen }) {
    Object.assign(this, { url, hello, onFrame, onState, onOpen, pending: new Map(), attempt: 0, stopped: false });
    this.onOnline = () => { if (!this.ws && !this.stopped) this.connect(); };
    this.onOffline = () => { this.ws?.close(); this.ws = null; clearTimeout(this.timer); this.onState('offline'); };
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
  }

  connect() {
    clearTimeout(this.timer);
    if (this.stopped) return;
    if (navigator.onLine === false) return this.onState('offline');
    this.onState('connecting');
    const ws = (this.ws = new WebSocket(this.url));
    ws.onopen = () => {
      const first = this.hello?.();
      if (first) ws.send(JSON.stringify(first));
    };
    ws.onmessage = (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === 'welcome') {
        this.attempt = 0;
        this.onState('open');
        this.onOpen?.(frame);
        for (const queued of this.pending.values()) ws.send(JSON.stringify(queued));
      }
      if (frame.type === 'ack' || (frame.type === 'error' && frame.clientMsgId)) this.pending.delete(frame.clientMsgId);
      this.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (FINAL[event.code]) { this.stopped = true; return this.onState(FINAL[event.code]); }
      if (navigator.onLine === false) return this.onState('offline');
      // Full jitter: 0.5 s, 1 s, 2 s ... up to 30 s, so that a restarted server is not hit by every client at once.
      const delay = Math.round(Math.min(30000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2));
      this.onState('waiting', delay);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  /** Sends now when connected; a frame with a clientMsgId is kept until acknowledged, and sent again after a reconnect. */
  send(frame) {
    if (frame.clientMsgId) this.pending.set(frame.clientMsgId, frame);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  get open() { return this.ws?.readyState === WebSocket.OPEN; }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    this.ws?.close(1000);
  }
}

/** The ws:// or wss:// address of a path on the server at base (an http(s) URL). */
export const socketUrl = (base, path) => new URL(path, base).href.replace(/^http/, 'ws');
