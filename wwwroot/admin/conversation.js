// The open conversation: its messages (paged, live, with receipts and files), its details, closing and reopening it;
// its reply box is compose.js, the list beside it conversations.js.
import { el, t, $, errorText, formatDateTime } from '../js/common.js';
import { messageThread } from '../js/thread.js';
import { session } from './session.js';
import { compose } from './compose.js';
import { tags } from './tags.js';
import { triage } from './triage.js';
import { browserName } from './user-agent.js';

export const visible = () => document.visibilityState === 'visible' && !$('view-conversations').hidden;
// The server names every visitor (their own name, else one made from their id), the same in the list, search and Telegram.
export const nameOf = (c) => c.visitorDisplayName;

/** list: the conversation list's { items (by id), renderItem(c), updateTitle() }. */
export function openConversation(list) {
  const shown = () => list.items.get(open.id);
  const open = Object.assign(messageThread($('messages'), $('typing'), {
    me: 'admin', them: 'visitor', keys: 'admin.state.',
    who: (m) => (m.sender === 'visitor' ? nameOf(shown()) : m.senderName ?? session.me?.displayName ?? ''),
    readSeq: () => shown()?.visitorReadSeq ?? 0,
    // The session cookie goes with these requests, so plain URLs do.
    fileUrl: (a, thumb) => `/api/admin/attachments/${a.id}${thumb ? '/thumbnail' : ''}`,
    // A note says so in words, not by its colour alone.
    decorate: (m, who) => { if (m.sender === 'note') m.li.prepend(el('p', { class: 'note-label', text: t('admin.note.label', { name: who }) })); },
  }), { id: null, mode: 'reply', hasMore: false, loading: false, show, showAt, details, markRead, resume, relabel });

  async function show(id, seq) {
    const c = list.items.get(id);
    if (!c) return;
    Object.assign(open, { id, lowest: Infinity, hasMore: false, loading: false });
    open.bySeq.clear();
    open.pending.clear();
    $('messages').replaceChildren();
    open.typing('');
    for (const other of list.items.values()) list.renderItem(other);
    $('thread-empty').hidden = true;
    $('thread-body').hidden = false;
    $('thread-error').textContent = '';
    foldDetails(detailsShown());
    details(c);
    await loadOlder();
    if (open.id === id) resume();
    markRead();
    if (seq) await showMessage(id, seq); else $('reply-text').focus();
  }

  /** From what the page holds on, the socket sends this conversation's messages without a hole (see docs/protocol.md). */
  function resume() {
    session.socket?.send({ type: 'resume', conversationId: open.id, lastSeq: open.contiguousSeq() });
  }

  /** Loads older pages until the message with this seq is there (or the conversation has no more), then scrolls to it and marks it. */
  async function showMessage(id, seq) {
    while (open.id === id && !open.bySeq.has(seq) && open.hasMore) {
      const lowest = open.lowest;
      await loadOlder();
      if (open.lowest === lowest) break;
    }
    const li = open.id === id ? open.bySeq.get(seq)?.li : null;
    if (!li) return;
    for (const old of $('messages').querySelectorAll('.found')) old.classList.remove('found');
    li.classList.add('found');
    li.tabIndex = -1;
    li.scrollIntoView({ block: 'center' });
    li.focus({ preventScroll: true });
  }

  /** Opens a conversation at a message (a search result): fetched first when it is not on the list's loaded pages. */
  async function showAt(id, seq) {
    if (!list.items.has(id)) {
      try {
        list.items.set(id, await session.call(`/api/admin/conversations/${id}`));
      } catch (e) {
        $('thread-error').textContent = errorText(e);
        return;
      }
    }
    await show(id, seq);
  }

  function details(c) {
    $('thread-title').textContent = nameOf(c);
    triage.showFor(c);
    tags.showFor(c);
    $('status-toggle').textContent = t(c.status === 'closed' ? 'admin.thread.reopen' : 'admin.thread.close');
    // Pending is "waiting on the customer": pressed while it is; a closed conversation is reopened first.
    $('status-pending').setAttribute('aria-pressed', String(c.status === 'pending'));
    $('status-pending').hidden = c.status === 'closed';
    const row = (key, value) => [el('dt', { text: t(key) }), el('dd', {}, value ?? '—')];
    const page = c.pageUrl ? el('a', { href: c.pageUrl, target: '_blank', rel: 'noopener noreferrer', text: c.pageUrl }) : null;
    $('details').replaceChildren(
      ...row('admin.details.status', `${t(`admin.status.${c.status}`)} · ${t(c.visitorOnline ? 'admin.online' : 'admin.offline')}`),
      ...row('admin.details.email', c.visitorEmail), ...row('admin.details.page', page), ...row('admin.details.browser', userAgent(c.visitorUserAgent)),
      ...row('admin.details.firstSeen', formatDateTime(c.visitorFirstSeenAt)), ...row('admin.details.lastSeen', formatDateTime(c.visitorLastSeenAt)));
  }

  /** The browser as a name, the whole User-Agent on hover and for screen readers. */
  function userAgent(ua) {
    if (!ua) return null;
    const name = browserName(ua);
    return el('span', {}, el('span', { class: 'user-agent', title: ua, text: name }), name === ua ? null : el('span', { class: 'sr', text: ` (${ua})` }));
  }

  // ---- The visitor's details fold away, by the admin's choice (kept per admin), else folded on a short screen.
  const detailsKey = () => `supportchat:details:${session.me?.id}`;
  function detailsShown() {
    const stored = localStorage.getItem(detailsKey());
    return stored ? stored === 'shown' : innerHeight >= 1000;
  }
  function foldDetails(shown) {
    $('details-toggle').setAttribute('aria-expanded', String(shown));
    $('details').hidden = !shown;
  }
  $('details-toggle').addEventListener('click', () => {
    const shown = $('details-toggle').getAttribute('aria-expanded') !== 'true';
    localStorage.setItem(detailsKey(), shown ? 'shown' : 'folded');
    foldDetails(shown);
  });

  async function loadOlder() {
    if (open.loading) return;
    const id = open.id;
    open.loading = true;
    try {
      const query = new URLSearchParams({ limit: '50' });
      if (open.lowest < Infinity) query.set('before', String(open.lowest));
      const page = await session.call(`/api/admin/conversations/${id}/messages?${query}`);
      if (id !== open.id) return;
      open.page(page.messages, open.lowest < Infinity);
      open.hasMore = page.hasMore;
    } catch (e) {
      $('thread-error').textContent = errorText(e);
    } finally {
      open.loading = false;
    }
  }

  function markRead() {
    const c = shown();
    if (!c || !visible()) return;
    // Read up to what is shown with nothing missing below it: a message that has not arrived is never marked read.
    const upTo = open.contiguousSeq();
    if (upTo > c.adminReadSeq || c.unreadCount > 0) {
      c.adminReadSeq = Math.max(c.adminReadSeq, upTo);
      session.socket?.send({ type: 'read', conversationId: c.id, seq: c.adminReadSeq });
    }
    c.unreadCount = 0;
    list.renderItem(c);
    list.updateTitle();
  }

  // ---- Close, reopen, pending (a visitor message makes a pending or closed conversation open again, on the server)
  async function setStatus(status) {
    const c = shown();
    if (!c) return;
    $('thread-error').textContent = '';
    try {
      const changed = await session.call(`/api/admin/conversations/${c.id}/status`, { method: 'POST', body: { status } });
      c.status = changed.status;
      list.renderItem(c);
      details(c);
    } catch (e) {
      $('thread-error').textContent = errorText(e);
    }
  }
  $('status-toggle').addEventListener('click', () => setStatus(shown()?.status === 'closed' ? 'open' : 'closed'));
  $('status-pending').addEventListener('click', () => setStatus(shown()?.status === 'pending' ? 'open' : 'pending'));

  // ---- Writing (compose.js): what is sent here shows as the thread shows everything else.
  const writer = compose(open);

  function relabel() {
    writer.setMode(open.mode);
    const c = shown();
    if (c) { details(c); for (const m of open.bySeq.values()) open.render(m); }
  }

  $('messages').addEventListener('scroll', () => {
    if ($('messages').scrollTop < 40 && open.hasMore) loadOlder();
  });
  document.addEventListener('visibilitychange', markRead);
  return open;
}
