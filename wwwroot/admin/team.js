// The audit log, the admin team (invite, remove) and the admin's own sessions (revoke, log out everywhere).
import { el, t, $, errorText, formatDateTime } from '../js/common.js';
import { session } from './session.js';

const cell = (value) => el('td', { text: value ?? '—' });

/** Runs an action, showing a failure in the view's alert line. */
async function attempt(errorId, action) {
  $(errorId).textContent = '';
  try {
    await action();
  } catch (e) {
    $(errorId).textContent = errorText(e);
  }
}

// ---- Audit log, newest first, paged by id
let auditBefore = null;

async function loadAudit(reset) {
  await attempt('audit-error', async () => {
    const query = new URLSearchParams({ limit: '50' });
    if (!reset && auditBefore) query.set('before', String(auditBefore));
    const page = await session.call(`/api/admin/audit?${query}`);
    if (reset) $('audit-rows').replaceChildren();
    for (const a of page.items) {
      $('audit-rows').append(el('tr', {}, cell(formatDateTime(a.at)), cell(a.adminUsername), cell(a.action),
        cell(a.targetType ? `${a.targetType} ${a.targetName ?? a.targetId ?? ''}` : null), cell(a.ip)));
    }
    auditBefore = page.nextBefore;
    $('audit-more').hidden = !auditBefore;
  });
}
$('audit-more').addEventListener('click', () => loadAudit(false));

// ---- Admins
async function loadAdmins() {
  await attempt('admins-error', async () => {
    const admins = await session.call('/api/admin/admins');
    $('admin-rows').replaceChildren(...admins.map((a) => el('tr', {}, cell(a.username), cell(a.displayName), cell(t(`admin.admins.status.${a.status}`)),
      cell(formatDateTime(a.enrolledAt)),
      el('td', {}, a.status === 'removed' ? null : el('button', {
        type: 'button', class: 'danger', text: t('admin.admins.remove'), 'aria-label': t('admin.admins.removeNamed', { name: a.username }),
        onclick: () => removeAdmin(a),
      })))));
  });
}

async function removeAdmin(a) {
  if (!confirm(t('admin.admins.confirmRemove', { name: a.username }))) return;
  await attempt('admins-error', () => session.call(`/api/admin/admins/${a.id}`, { method: 'DELETE' }));
  loadAdmins();
}

$('invite').addEventListener('submit', (e) => {
  e.preventDefault();
  attempt('admins-error', async () => {
    const link = await session.call('/api/admin/admins', { method: 'POST', body: { username: $('invite-username').value.trim(), displayName: $('invite-name').value.trim() } });
    $('invite-link').value = link.url;
    $('invite-result').hidden = false;
    $('invite').reset();
    $('invite-link').select();
    loadAdmins();
  });
});

// ---- Sessions
async function loadSessions() {
  await attempt('sessions-error', async () => {
    const sessions = await session.call('/api/admin/sessions');
    $('session-rows').replaceChildren(...sessions.map((s) => el('tr', {}, cell(formatDateTime(s.createdAt)), cell(formatDateTime(s.lastSeenAt)),
      cell(s.current ? `${s.userAgent} (${t('admin.sessions.current')})` : s.userAgent), cell(s.ip),
      el('td', {}, el('button', {
        type: 'button', class: 'danger', text: t('admin.sessions.revoke'), onclick: () => revoke(s),
      })))));
  });
}

async function revoke(s) {
  await attempt('sessions-error', () => session.call(`/api/admin/sessions/${s.id}`, { method: 'DELETE' }));
  if (s.current) session.onSignedOut(); else loadSessions();
}

$('logout-everywhere').addEventListener('click', async () => {
  if (!confirm(t('admin.sessions.confirmEverywhere'))) return;
  await attempt('sessions-error', () => session.call('/api/admin/logout-everywhere', { method: 'POST' }));
  session.onSignedOut();
});

export const team = {
  audit: { show: () => loadAudit(true) },
  admins: { show: loadAdmins },
  sessions: { show: loadSessions },
};
