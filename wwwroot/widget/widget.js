// The visitor widget: <script type="module" src="https://support.example/widget/widget.js" data-locale="tr" data-title="Help"
// data-accent="#0a7" data-position="left" data-prechat="true"></script>. Everything lives in a shadow root, away from the page's CSS.
import { el, t, loadLocale, translate, errorText, fileErrorText, api, ChatSocket, socketUrl, newClientMsgId, messageItem, placeBySeq, contiguousSeq } from '../js/common.js';

performance.mark('supportchat:start');
const script = [...document.scripts].find((s) => s.src === import.meta.url) ?? document.querySelector('script[src*="/widget/widget.js"]');
const opt = script?.dataset ?? {};
const base = opt.server || new URL('..', import.meta.url).href.replace(/\/$/, '');
const storeKey = `supportchat:${base}`;
const ns = 'http://www.w3.org/2000/svg';

// ---- The launcher first: it paints as soon as the stylesheet is in, before translations or the network.
const host = el('div', { class: 'supportchat-host' });
const root = host.attachShadow({ mode: 'open' });
const icon = document.createElementNS(ns, 'svg');
icon.setAttribute('viewBox', '0 0 24 24');
icon.setAttribute('aria-hidden', 'true');
icon.append(document.createElementNS(ns, 'path'));
icon.firstChild.setAttribute('d', 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z');
const badge = el('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
const launcher = el('button', { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'panel' }, icon, badge);
const $ = {
  title: el('h2', { id: 'title' }),
  presence: el('p', { class: 'presence' }),
  close: el('button', { type: 'button', class: 'close', 'data-i18n-label': 'widget.close', text: '×' }),
  conn: el('p', { class: 'conn', role: 'status', hidden: true }),
  prechat: el('form', { class: 'prechat', hidden: true }),
  log: el('ol', { class: 'log', tabindex: '0', 'aria-labelledby': 'title' }),
  typing: el('p', { class: 'typing', hidden: true }),
  text: el('textarea', { id: 'text', rows: '1', maxlength: '4000', 'data-i18n-placeholder': 'widget.placeholder' }),
  error: el('p', { class: 'error', role: 'alert', hidden: true }),
  file: el('input', { type: 'file', hidden: true }),
};
const compose = el('form', { class: 'compose' },
  el('button', { type: 'button', class: 'attach', 'data-i18n-label': 'file.attach', 'data-i18n-title': 'file.attach', text: '+', onclick: () => $.file.click() }),
  $.file, el('label', { for: 'text', class: 'sr', 'data-i18n': 'widget.messageLabel' }), $.text,
  el('button', { type: 'submit', 'data-i18n': 'widget.send' }));
const panel = el('section', { id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: true },
  el('header', {}, el('div', {}, $.title, $.presence), $.close), $.conn, $.prechat,
  el('div', { class: 'logbox', role: 'log', 'aria-live': 'polite' }, $.log), $.typing, $.error, compose);
const frame = el('div', { class: 'frame' }, launcher, panel);
if (opt.position === 'left') frame.classList.add('left');
if (opt.accent && CSS.supports('color', opt.accent)) host.style.setProperty('--sc-accent', opt.accent);
// The launcher's own few rules come with the script, so that it paints in the first frame; the panel's come with widget.css.
const launcherSheet = new CSSStyleSheet();
launcherSheet.replaceSync(`:host{all:initial;--sc-accent:#1d4ed8}[hidden]{display:none!important}
.frame{position:fixed;z-index:2147483000;right:20px;bottom:20px;font:15px/1.4 system-ui,sans-serif}.frame.left{right:auto;left:20px}
.launcher{position:relative;width:60px;height:60px;border:0;border-radius:50%;background:var(--sc-accent);color:#fff;cursor:pointer;
box-shadow:0 6px 20px rgb(0 0 0/.25);display:grid;place-items:center;margin-left:auto}.left .launcher{margin-left:0}
.launcher svg{width:28px;height:28px;fill:currentColor}.badge{position:absolute;top:-4px;right:-4px;min-width:22px;height:22px;padding:0 6px;
box-sizing:border-box;border-radius:11px;background:#b91c1c;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center}`);
root.adoptedStyleSheets = [launcherSheet];
const styled = new Promise((resolve) => {
  const sheet = el('link', { rel: 'stylesheet', href: `${base}/widget/widget.css`, onload: resolve, onerror: resolve });
  root.append(sheet, frame);
});
document.body.append(host);
requestAnimationFrame(() => performance.mark('supportchat:launcher'));

// ---- State
const state = {
  token: localStorage.getItem(storeKey), socket: null, starting: null, lowest: Infinity, hasMore: false, loadingOlder: false,
  adminReadSeq: 0, visitorReadSeq: 0, unread: 0, adminsOnline: false, typingTimer: 0, lastTyping: 0, flash: 0, audio: null,
};
const bySeq = new Map();
const pending = new Map();
const pageTitle = document.title;

const ready = loadLocale(opt.locale || document.documentElement.lang, base).then(() => {
  translate(root);
  $.title.textContent = opt.title || t('widget.title');
  renderPresence();
  renderBadge();
  if (opt.prechat === 'true') buildPrechat();
});

// ---- Messages
function stateText(m) {
  if (m.sender !== 'visitor') return '';
  if (m.failed) return m.failed;
  if (!m.seq) return m.progress >= 0 ? t('file.uploading', { percent: Math.round(m.progress * 100) }) : t('widget.sending');
  return m.seq <= state.adminReadSeq ? t('widget.read') : t('widget.sent');
}

function renderMessage(m) {
  const who = m.sender === 'admin' ? t('widget.agent', { name: m.senderName ?? '' }) : t('widget.you');
  m.li = messageItem(m, who, m.sender === 'visitor' ? stateText(m) : null, m.li, fileUrl);
  return m.li;
}

/** A file of this conversation as a blob: URL, fetched with the token in a header so that it never sits in a URL. */
async function fileUrl(a, thumb) {
  const r = await fetch(`${base}/api/visitor/attachments/${a.id}${thumb ? '/thumbnail' : ''}`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!r.ok) throw r.status;
  return URL.createObjectURL(await r.blob());
}

/** Adds a message by seq, once (replay, tabs, ack, echo); confirmed: not only acked. */
function addMessage(m, confirmed = true) {
  // Only the visitor's and the admins' messages are for the visitor: anything else (a private note) is never shown.
  if (m.sender !== 'visitor' && m.sender !== 'admin') return false;
  const known = bySeq.get(m.seq);
  if (known) { known.confirmed ||= confirmed; return false; }
  const mine = m.clientMsgId && pending.get(m.clientMsgId);
  if (mine) { pending.delete(m.clientMsgId); Object.assign(mine, m, { failed: null }); m = mine; }
  m.confirmed = confirmed;
  bySeq.set(m.seq, m);
  state.lowest = Math.min(state.lowest, m.seq);
  placeBySeq($.log, renderMessage(m), m.seq);
  return !mine;
}

function refreshStates() {
  for (const m of bySeq.values()) if (m.sender === 'visitor') m.li.querySelector('.state').textContent = stateText(m);
}

const nearBottom = () => $.log.scrollHeight - $.log.scrollTop - $.log.clientHeight < 80;
const toBottom = () => { $.log.scrollTop = $.log.scrollHeight; };
const isOpen = () => !panel.hidden;

// ---- Socket frames
function onFrame(f) {
  switch (f.type) {
    case 'welcome':
      Object.assign(state, { adminReadSeq: f.adminReadSeq, visitorReadSeq: f.visitorReadSeq, adminsOnline: f.adminsOnline });
      renderPresence();
      break;
    case 'history': {
      const older = state.loadingOlder;
      const height = $.log.scrollHeight;
      const before = state.lowest;
      for (const m of f.messages) addMessage(m);
      if (older || !f.messages.length || f.messages[0].seq <= before) state.hasMore = f.hasMore;
      state.loadingOlder = false;
      if (older) $.log.scrollTop += $.log.scrollHeight - height; else toBottom();
      countUnread();
      markRead();
      break;
    }
    case 'message': {
      const stick = nearBottom();
      const fresh = addMessage(f);
      if (stick || f.sender === 'visitor') toBottom();
      if (f.sender === 'visitor') renderPresence();
      if (f.sender === 'admin') { hideTyping(); if (fresh) announceReply(); }
      refreshStates();
      break;
    }
    case 'ack': {
      const m = pending.get(f.clientMsgId);
      if (m) addMessage({ ...m, seq: f.seq, id: f.id, createdAt: f.createdAt }, false);
      refreshStates();
      break;
    }
    case 'read':
      if (f.reader === 'admin') { state.adminReadSeq = Math.max(state.adminReadSeq, f.seq); refreshStates(); }
      else { state.visitorReadSeq = Math.max(state.visitorReadSeq, f.seq); countUnread(); }
      break;
    case 'typing':
      if (f.sender === 'admin') showTyping(f.name);
      break;
    case 'presence':
      state.adminsOnline = f.adminsOnline;
      renderPresence();
      break;
    case 'status':
      // Closed: say so where presence stands; writing again reopens it, and presence shows again.
      if (f.status === 'closed') $.presence.textContent = t('widget.closed'); else renderPresence();
      break;
    case 'error': {
      const m = f.clientMsgId && pending.get(f.clientMsgId);
      if (m) { m.failed = errorText(f); renderMessage(m); m.li.classList.add('failed'); } else showError(f);
      break;
    }
  }
}

function onState(s, delay) {
  const text = { connecting: 'widget.connecting', waiting: 'widget.reconnecting', offline: 'widget.offline', broken: 'widget.broken' }[s];
  $.conn.hidden = !text;
  $.conn.textContent = text ? t(text, { seconds: Math.ceil((delay ?? 0) / 1000) }) : '';
  panel.dataset.connection = s;
  // The token is gone (expired or forged): start a new conversation.
  if (s === 'unauthorized') {
    localStorage.removeItem(storeKey);
    Object.assign(state, { token: null, socket: null, starting: null });
    startSession().catch(() => {});
  }
}

function renderPresence() {
  $.presence.textContent = state.adminsOnline ? t('widget.online') : t('widget.away');
  $.presence.classList.toggle('online', state.adminsOnline);
}

function showTyping(name) {
  $.typing.textContent = t('widget.typing', { name: name || t('widget.agentFallback') });
  $.typing.hidden = false;
  clearTimeout(state.typingTimer);
  state.typingTimer = setTimeout(hideTyping, 4000);
}
function hideTyping() { $.typing.hidden = true; }

function showError(e) {
  $.error.textContent = errorText(e);
  $.error.hidden = false;
}

// ---- Unread, sound and title flash while the panel is closed
function countUnread() {
  state.unread = [...bySeq.values()].filter((m) => m.sender === 'admin' && m.seq > state.visitorReadSeq).length;
  renderBadge();
}

function renderBadge() {
  const n = isOpen() ? 0 : state.unread;
  badge.hidden = n === 0;
  badge.textContent = n > 9 ? '9+' : String(n);
  launcher.setAttribute('aria-label', n ? t('widget.openUnread', { count: n }) : t('widget.open'));
}

function announceReply() {
  if (isOpen() && document.visibilityState === 'visible') return markRead();
  countUnread();
  beep();
  if (!state.flash) {
    let on = false;
    state.flash = setInterval(() => { on = !on; document.title = on ? t('widget.newReply') : pageTitle; }, 1000);
  }
}

function stopFlash() {
  clearInterval(state.flash);
  state.flash = 0;
  document.title = pageTitle;
}

function beep() {
  try {
    const audio = (state.audio ??= new AudioContext());
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  } catch { /* no audio: the badge and the title still tell */ }
}

function markRead() {
  if (!isOpen() || document.visibilityState !== 'visible' || !state.socket?.open) return;
  const upTo = contiguousSeq(bySeq.values());
  if ([...bySeq.values()].some((m) => m.sender === 'admin' && m.seq <= upTo && m.seq > state.visitorReadSeq)) {
    state.visitorReadSeq = upTo;
    state.socket.send({ type: 'read', seq: upTo });
  }
  countUnread();
  stopFlash();
}

// ---- Session: resumed from localStorage, or started when the visitor first opens the panel
/** Starts (or resumes) the session and the socket once; every caller waits for the same attempt. */
function startSession(details = {}) {
  state.starting ??= openSession(details).catch((e) => { state.starting = null; showError(e); throw e; });
  return state.starting;
}

async function openSession(details) {
  const body = { ...details, token: state.token ?? undefined, locale: opt.locale || navigator.language, pageUrl: location.href.slice(0, 2048) };
  const post = (b) => api(`${base}/api/visitor/sessions`, { method: 'POST', body: b, credentials: 'omit' });
  // A stored token the server no longer knows: start afresh.
  const session = await post(body).catch((e) => (e.error === 'unauthorized' && body.token ? post({ ...body, token: undefined }) : Promise.reject(e)));
  state.token = session.token;
  localStorage.setItem(storeKey, session.token);
  $.prechat.hidden = true;
  compose.hidden = false;
  state.socket = new ChatSocket(socketUrl(base, '/ws/visitor'), {
    hello: () => ({ type: 'auth', token: state.token, lastSeq: contiguousSeq(bySeq.values()) }),
    onFrame, onState,
  });
  state.socket.connect();
}

function buildPrechat() {
  if (state.token) return;
  const field = (name, type, auto) => [el('label', { for: `pc-${name}`, 'data-i18n': `widget.${name}` }),
    el('input', { id: `pc-${name}`, name, type, autocomplete: auto, maxlength: name === 'email' ? '254' : '100' })];
  $.prechat.replaceChildren(el('p', { 'data-i18n': 'widget.prechatIntro' }), ...field('name', 'text', 'name'),
    ...field('email', 'email', 'email'), el('button', { type: 'submit', 'data-i18n': 'widget.start' }));
  translate($.prechat);
  $.prechat.hidden = false;
  compose.hidden = true;
}

$.prechat.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData($.prechat);
  startSession({ name: data.get('name') || undefined, email: data.get('email') || undefined }).then(() => $.text.focus(), () => {});
});

// ---- Opening, writing, paging
function setOpen(open) {
  panel.hidden = !open;
  launcher.setAttribute('aria-expanded', String(open));
  frame.classList.toggle('open', open);
  renderBadge();
  if (open) {
    if (!state.token && opt.prechat !== 'true') startSession().catch(() => {});
    toBottom();
    markRead();
    ($.prechat.hidden ? $.text : $.prechat.querySelector('input'))?.focus();
  } else launcher.focus();
}

launcher.addEventListener('click', async () => { await Promise.all([ready, styled]); setOpen(panel.hidden); });
$.close.addEventListener('click', () => setOpen(false));
panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') setOpen(false); });
document.addEventListener('visibilitychange', markRead);

compose.addEventListener('submit', (e) => {
  e.preventDefault();
  const body = $.text.value.trim();
  if (!body) return;
  $.error.hidden = true;
  const m = { sender: 'visitor', body, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString() };
  pending.set(m.clientMsgId, m);
  $.log.append(renderMessage(m));
  toBottom();
  $.text.value = '';
  sendWhenReady(m);
});

// The first message may be written while the session is still starting; it goes out once the socket exists.
function sendWhenReady(m) {
  startSession().then(() => state.socket.send({ type: 'send', clientMsgId: m.clientMsgId, body: m.body }), (e) => {
    m.failed = errorText(e);
    renderMessage(m);
  });
}

// A file is sent over HTTP (with its progress shown where a message's state is), then arrives like any message.
$.file.addEventListener('change', async () => {
  const file = $.file.files[0];
  $.file.value = '';
  if (!file) return;
  const m = { sender: 'visitor', body: file.name, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString(), attachment: { name: file.name, size: file.size }, progress: 0 };
  pending.set(m.clientMsgId, m);
  $.log.append(renderMessage(m));
  toBottom();
  try {
    await startSession();
    const { upload } = await import('../js/upload.js');
    const sent = await upload(`${base}/api/visitor/attachments`, file, m.clientMsgId, { Authorization: `Bearer ${state.token}` }, (p) => { m.progress = p; renderMessage(m); });
    addMessage({ ...m, ...sent }, false);
  } catch (e) {
    m.failed = fileErrorText(e);
    renderMessage(m).classList.add('failed');
  }
  refreshStates();
});

$.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(); }
});
$.text.addEventListener('input', () => {
  if (state.socket?.open && Date.now() - state.lastTyping > 2000) {
    state.lastTyping = Date.now();
    state.socket.send({ type: 'typing' });
  }
});

$.log.addEventListener('scroll', () => {
  if ($.log.scrollTop < 40 && state.hasMore && !state.loadingOlder && state.socket?.open && state.lowest < Infinity) {
    state.loadingOlder = true;
    state.socket.send({ type: 'history', before: state.lowest, limit: 30 });
  }
});

if (state.token) startSession().catch(() => {});
