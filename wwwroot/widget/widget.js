// The visitor widget: <script type="module" src="https://support.example/widget/widget.js" data-locale="tr" data-title="Help"
// data-accent="#0a7" data-position="left" data-prechat="true"></script>. All in a shadow root. 300+ lines in one file: a module costs bytes.
import { el, t, loadLocale, translate, errorText, api, ChatSocket, socketUrl, newClientMsgId } from '../js/common.js';
import { messageThread } from '../js/thread.js';

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
const ui = {
  title: el('h2', { id: 'title' }),
  presence: el('p', { class: 'presence' }),
  close: el('button', { type: 'button', class: 'close', 'data-i18n-label': 'widget.close', text: '×' }),
  conn: el('p', { class: 'conn', role: 'status', hidden: true }),
  prechat: el('form', { class: 'prechat', hidden: true }),
  log: el('ol', { class: 'log', tabindex: '0', 'aria-labelledby': 'title' }),
  typing: el('p', { class: 'typing' }),
  text: el('textarea', { id: 'text', rows: '1', maxlength: '4000', 'data-i18n-placeholder': 'widget.placeholder' }),
  error: el('p', { class: 'error', role: 'alert', hidden: true }),
  file: el('input', { type: 'file', hidden: true }),
};
const compose = el('form', { class: 'compose' },
  el('button', { type: 'button', class: 'attach', 'data-i18n-label': 'file.attach', 'data-i18n-title': 'file.attach', text: '+', onclick: () => ui.file.click() }),
  ui.file, el('label', { for: 'text', class: 'sr', 'data-i18n': 'widget.messageLabel' }), ui.text,
  el('button', { type: 'submit', 'data-i18n': 'widget.send' }));
const panel = el('section', { id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: true },
  el('header', {}, el('div', {}, ui.title, ui.presence), ui.close), ui.conn, ui.prechat,
  el('div', { class: 'logbox', role: 'log', 'aria-live': 'polite' }, ui.log), ui.typing, ui.error, compose);
const frame = el('div', { class: 'frame' }, launcher, panel);
if (opt.position === 'left') frame.classList.add('left');
if (opt.accent && CSS.supports('color', opt.accent)) host.style.setProperty('--sc-accent', opt.accent);
// The launcher's rules come with the script, so that it paints in the first frame; the panel's with widget.css.
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
  token: localStorage.getItem(storeKey), socket: null, starting: null, hasMore: false, loadingOlder: false,
  adminReadSeq: 0, visitorReadSeq: 0, unread: 0, adminsOnline: false, flash: 0, audio: null,
};
// A private note is never for the visitor.
const thread = messageThread(ui.log, ui.typing, {
  me: 'visitor', them: 'admin', keys: 'widget.', readSeq: () => state.adminReadSeq, fileUrl,
  who: (m) => (m.sender === 'admin' ? t('widget.agent', { name: m.senderName }) : t('widget.you')),
  shows: (m) => m.sender === 'visitor' || m.sender === 'admin',
});
const bySeq = thread.bySeq;
const pageTitle = document.title;

const ready = loadLocale(opt.locale || document.documentElement.lang, base).then(() => {
  translate(root);
  ui.title.textContent = opt.title || t('widget.title');
  renderPresence();
  renderBadge();
  if (opt.prechat === 'true') buildPrechat();
});

/** A file as a blob: URL, fetched with the token in a header so that it never sits in a URL. */
async function fileUrl(a, thumb) {
  const r = await fetch(`${base}/api/visitor/attachments/${a.id}${thumb ? '/thumbnail' : ''}`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!r.ok) throw r.status;
  return URL.createObjectURL(await r.blob());
}

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
      const before = thread.lowest;
      thread.page(f.messages, older);
      if (older || !f.messages.length || f.messages[0].seq <= before) state.hasMore = f.hasMore;
      state.loadingOlder = false;
      countUnread();
      markRead();
      break;
    }
    case 'message':
      if (thread.live(f) && f.sender === 'admin') announceReply();
      if (f.sender === 'visitor') renderPresence();
      break;
    case 'ack':
      thread.ack(f);
      break;
    case 'read':
      if (f.reader === 'admin') { state.adminReadSeq = Math.max(state.adminReadSeq, f.seq); thread.refresh(); }
      else { state.visitorReadSeq = Math.max(state.visitorReadSeq, f.seq); countUnread(); }
      break;
    case 'typing':
      if (f.sender === 'admin') thread.typing(t('widget.typing', { name: f.name || t('widget.agentFallback') }));
      break;
    case 'presence':
      state.adminsOnline = f.adminsOnline;
      renderPresence();
      break;
    case 'status':
      // Closed: said where presence stands, until writing again reopens it.
      if (f.status === 'closed') ui.presence.textContent = t('widget.closed'); else renderPresence();
      break;
    case 'error':
      if (!thread.refused(f)) showError(f);
      break;
  }
}

function onState(s, delay) {
  const text = { connecting: 'widget.connecting', waiting: 'widget.reconnecting', offline: 'widget.offline', broken: 'widget.broken' }[s];
  ui.conn.hidden = !text;
  ui.conn.textContent = text ? t(text, { seconds: Math.ceil((delay ?? 0) / 1000) }) : '';
  panel.dataset.connection = s;
  // The token is gone (expired or forged): start a new conversation.
  if (s === 'unauthorized') {
    localStorage.removeItem(storeKey);
    Object.assign(state, { token: null, socket: null, starting: null });
    startSession().catch(() => {});
  }
}

function renderPresence() {
  ui.presence.textContent = state.adminsOnline ? t('widget.online') : t('widget.away');
  ui.presence.classList.toggle('online', state.adminsOnline);
}

function showError(e) {
  ui.error.textContent = errorText(e);
  ui.error.hidden = false;
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
  const upTo = thread.contiguousSeq();
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
  ui.prechat.hidden = true;
  compose.hidden = false;
  state.socket = new ChatSocket(socketUrl(base, '/ws/visitor'), {
    hello: () => ({ type: 'auth', token: state.token, lastSeq: thread.contiguousSeq() }),
    onFrame, onState,
  });
  state.socket.connect();
}

function buildPrechat() {
  if (state.token) return;
  const field = (name, type, auto) => [el('label', { for: `pc-${name}`, 'data-i18n': `widget.${name}` }),
    el('input', { id: `pc-${name}`, name, type, autocomplete: auto, maxlength: name === 'email' ? '254' : '100' })];
  ui.prechat.replaceChildren(el('p', { 'data-i18n': 'widget.prechatIntro' }), ...field('name', 'text', 'name'),
    ...field('email', 'email', 'email'), el('button', { type: 'submit', 'data-i18n': 'widget.start' }));
  translate(ui.prechat);
  ui.prechat.hidden = false;
  compose.hidden = true;
}

ui.prechat.addEventListener('submit', (e) => {
  e.preventDefault();
  const data = new FormData(ui.prechat);
  startSession({ name: data.get('name') || undefined, email: data.get('email') || undefined }).then(() => ui.text.focus(), () => {});
});

// ---- Opening, writing, paging
function setOpen(open) {
  panel.hidden = !open;
  launcher.setAttribute('aria-expanded', String(open));
  frame.classList.toggle('open', open);
  renderBadge();
  if (open) {
    if (!state.token && opt.prechat !== 'true') startSession().catch(() => {});
    thread.toBottom();
    markRead();
    (ui.prechat.hidden ? ui.text : ui.prechat.querySelector('input'))?.focus();
  } else launcher.focus();
}

launcher.addEventListener('click', async () => { await Promise.all([ready, styled]); setOpen(panel.hidden); });
ui.close.addEventListener('click', () => setOpen(false));
panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') setOpen(false); });
document.addEventListener('visibilitychange', markRead);

compose.addEventListener('submit', (e) => {
  e.preventDefault();
  const body = ui.text.value.trim();
  if (!body) return;
  ui.error.hidden = true;
  const m = { sender: 'visitor', body, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString() };
  thread.sending(m);
  ui.text.value = '';
  // The first message may be written while the session is still starting; it goes out once the socket exists.
  startSession().then(() => state.socket.send({ type: 'send', clientMsgId: m.clientMsgId, body: m.body }), (e) => thread.fail(m, errorText(e)));
});

// A file goes over HTTP (upload.js, loaded when first needed), then arrives like any message.
ui.file.addEventListener('change', () => {
  const file = ui.file.files[0];
  ui.file.value = '';
  if (!file) return;
  const m = { sender: 'visitor', body: file.name, clientMsgId: newClientMsgId(), createdAt: new Date().toISOString(), attachment: { name: file.name, size: file.size }, progress: 0 };
  thread.sending(m);
  startSession().then(() => import('../js/upload.js')).then(({ sendFile }) =>
    sendFile(thread, m, `${base}/api/visitor/attachments`, file, { Authorization: `Bearer ${state.token}` }), (e) => thread.fail(m, errorText(e)));
});

ui.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); compose.requestSubmit(); }
});
ui.text.addEventListener('input', () => thread.typed(state.socket, { type: 'typing' }));

ui.log.addEventListener('scroll', () => {
  if (ui.log.scrollTop < 40 && state.hasMore && !state.loadingOlder && state.socket?.open && thread.lowest < Infinity) {
    state.loadingOlder = true;
    state.socket.send({ type: 'history', before: thread.lowest, limit: 30 });
  }
});

if (state.token) startSession().catch(() => {});
