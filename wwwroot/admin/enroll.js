import { api } from '../js/common.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
const say = (text) => { $('status').textContent = text; };

async function start() {
  try {
    const offer = await api('/api/admin/enrollment/start', { method: 'POST', body: { token } });
    $('qr').src = 'data:image/svg+xml;base64,' + btoa(offer.qrSvg);
    $('username').textContent = offer.username;
    $('secret').textContent = offer.secret;
    $('uri').textContent = offer.otpAuthUri;
    $('offer').hidden = false;
    say('Add the account to your app, then type the code it shows.');
    $('code').focus();
  } catch (e) {
    say(e.message ?? 'This enrollment link cannot be used.');
  }
}

$('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  say('Checking the code…');
  try {
    await api('/api/admin/enrollment/complete', { method: 'POST', body: { token, code: $('code').value.trim() } });
    // The token is spent; keep it out of the history.
    history.replaceState(null, '', location.pathname);
    say('Your account is active. Opening the console…');
    location.assign('/admin/');
  } catch (e) {
    say(e.message ?? 'That did not work; try again.');
    $('code').select();
  }
});

start();
