// The admin console: login, navigation, the admin socket, language, notifications, sound (chime.js) and the tab title.
import { api, t, $, loadLocale, translate, errorText, pickLocale, ChatSocket, socketUrl, locale } from '../js/common.js';
import { session } from './session.js';
import { conversations } from './conversations.js';
import './search.js';
import { team } from './team.js';
import { canned } from './canned.js';
import { tags } from './tags.js';
import { chime } from './chime.js';

const localeKey = 'supportchat:locale';

const views = { conversations, ...canned.view, ...tags.view, ...team };
let currentView = 'conversations';
session.onSignedOut = () => signedOut();

function show(view) {
  currentView = view;
  for (const name of Object.keys(views)) $(`view-${name}`).hidden = name !== view;
  for (const b of document.querySelectorAll('nav button')) {
    if (b.dataset.view === view) b.setAttribute('aria-current', 'page'); else b.removeAttribute('aria-current');
  }
  views[view].show();
}

function signedOut() {
  session.socket?.stop();
  Object.assign(session, { me: null, csrf: null, socket: null });
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-username').focus();
}

function signedIn(signed) {
  session.me = signed.admin;
  session.csrf = signed.csrfToken;
  $('login').hidden = true;
  $('app').hidden = false;
  $('me').textContent = signed.admin.displayName;
  chime.load(signed.admin.id);
  renderNotifyButton();
  let welcomed = false;
  session.socket = new ChatSocket(socketUrl(location.href, '/ws/admin'), {
    onFrame: (f) => conversations.onFrame(f),
    onOpen: () => { if (welcomed) conversations.onReconnect(); welcomed = true; },
    onState: (s, delay) => {
      const key = { connecting: 'admin.conn.connecting', waiting: 'admin.conn.waiting', offline: 'admin.conn.offline', broken: 'admin.conn.broken' }[s];
      $('conn').textContent = key ? t(key, { seconds: Math.ceil((delay ?? 0) / 1000) }) : '';
      document.body.dataset.connection = s;
      if (s === 'signed_out') signedOut();
    },
  });
  session.socket.connect();
  show('conversations');
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  $('login-error').textContent = '';
  try {
    signedIn(await api('/api/admin/login', { method: 'POST', body: { username: $('login-username').value.trim(), code: $('login-code').value.trim() } }));
    $('login-code').value = '';
  } catch (err) {
    $('login-error').textContent = err.error === 'unauthorized' ? t('admin.login.wrong') : errorText(err);
    $('login-code').select();
  }
});

$('logout').addEventListener('click', async () => {
  await session.call('/api/admin/logout', { method: 'POST' }).catch(() => {});
  signedOut();
});

for (const b of document.querySelectorAll('nav button')) b.addEventListener('click', () => show(b.dataset.view));

function renderNotifyButton() {
  $('notify').hidden = !('Notification' in window) || Notification.permission !== 'default';
}
$('notify').addEventListener('click', async () => {
  await Notification.requestPermission();
  renderNotifyButton();
});

$('lang').addEventListener('change', async () => {
  localStorage.setItem(localeKey, $('lang').value);
  await loadLocale($('lang').value);
  applyLocale();
  if (session.me) views[currentView].show();
});

function applyLocale() {
  document.documentElement.lang = locale();
  $('lang').value = locale();
  translate(document);
  conversations.relabel();
}

async function start() {
  await loadLocale(localStorage.getItem(localeKey) ?? pickLocale());
  applyLocale();
  try {
    signedIn(await api('/api/admin/me'));
  } catch {
    signedOut();
  }
}

start();
