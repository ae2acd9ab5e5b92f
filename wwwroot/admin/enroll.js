import { api, t, $, loadLocale, translate, errorText, pickLocale, locale } from '../js/common.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const say = (key, e) => { $('status').textContent = e ? errorText(e) : t(key); };

async function start() {
  await loadLocale(localStorage.getItem('supportchat:locale') ?? pickLocale());
  document.documentElement.lang = locale();
  document.title = t('enroll.title');
  translate(document);
  $('qr').alt = t('enroll.qr');
  say('enroll.loading');
  try {
    const offer = await api('/api/admin/enrollment/start', { method: 'POST', body: { token } });
    $('qr').src = 'data:image/svg+xml;base64,' + btoa(offer.qrSvg);
    $('username').textContent = offer.username;
    $('secret').textContent = offer.secret;
    $('uri').textContent = offer.otpAuthUri;
    $('offer').hidden = false;
    say('enroll.addAccount');
    $('code').focus();
  } catch (e) {
    say(null, e.error === 'not_found' ? { error: 'enroll_link' } : e);
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  say('enroll.checking');
  try {
    await api('/api/admin/enrollment/complete', { method: 'POST', body: { token, code: $('code').value.trim() } });
    // The token is spent; keep it out of the history.
    history.replaceState(null, '', location.pathname);
    say('enroll.done');
    location.assign('/admin/');
  } catch (e) {
    say(null, e.error === 'unauthorized' ? { error: 'enroll_code' } : e);
    $('code').select();
  }
});

start();
