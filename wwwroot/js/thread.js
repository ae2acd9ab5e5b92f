// The widget's and the console's thread: messages once, by seq, with their state; typing. In the widget's 30 KB budget.
import { el, t, errorText, formatTime, formatDateTime } from './common.js';

/**
 * In list (an <ol>), their typing in typing. me: whose messages are sent or read (texts: keys + 'sent'), them: who reads
 * up to readSeq(); who(m): the author; fileUrl(a, thumb); shows(m); decorate(m, who).
 */
export function messageThread(list, typing, { me, them, keys, who, readSeq, fileUrl, shows = () => true, decorate }) {
  let timer = 0, typedAt = 0;
  const bySeq = new Map(), pending = new Map();

  // Unsent or failed: only this side's; read or not: only me's (a note is neither).
  function state(m) {
    if (m.failed) return m.failed;
    if (!m.seq) return m.progress >= 0 ? t('file.uploading', { percent: Math.round(m.progress * 100) }) : t(`${keys}sending`);
    return m.sender === me ? t(keys + (m.seq <= readSeq() ? 'read' : 'sent')) : null;
  }

  function render(m) {
    const name = who(m), a = m.attachment, s = state(m);
    const li = (m.li ??= el('li'));
    li.className = `msg ${m.sender}${m.failed ? ' failed' : ''}`;
    if (m.seq) li.dataset.seq = m.seq;
    li.replaceChildren(...[
      el('span', { class: 'sr', text: `${name}: ` }),
      a && fileLink(a),
      a?.name !== m.body && el('p', { class: 'body', text: m.body }),
      el('p', { class: 'meta' }, el('time', { datetime: m.createdAt ?? '', title: formatDateTime(m.createdAt), text: formatTime(m.createdAt) }),
        s === null ? null : el('span', { class: 'state', text: s }))].filter(Boolean));
    decorate?.(m, name);
    return li;
  }

  /** The uploader's thumbnail (the full image is not fetched) or name and size; a click downloads it. */
  function fileLink(a) {
    const link = el('a', { class: 'file', href: '#', download: a.name },
      a.hasThumbnail ? el('img', { alt: a.name }) : null, el('span', { text: `${a.name} (${Math.ceil(a.size / 1024)} KB)` }));
    if (!a.id) return link;
    if (a.hasThumbnail) Promise.resolve(a.thumb ??= fileUrl(a, true)).then((src) => { link.firstChild.src = src; }, () => {});
    link.onclick = async (e) => {
      if (link.getAttribute('href') !== '#') return;
      e.preventDefault();
      link.href = await fileUrl(a, false);
      link.click();
    };
    return link;
  }

  /** m once, however it came; confirmed: not only in an ack or upload answer. True if news to this side. */
  function add(m, confirmed = true) {
    if (!shows(m)) return false;
    const known = bySeq.get(m.seq);
    if (known) { known.confirmed ||= confirmed; return false; }
    const mine = pending.get(m.clientMsgId);
    if (mine) { pending.delete(m.clientMsgId); m = Object.assign(mine, m, { failed: null }); }
    m.confirmed = confirmed;
    bySeq.set(m.seq, m);
    thread.lowest = Math.min(thread.lowest, m.seq);
    // After lower seqs, before higher ones and before messages still sending.
    const next = [...list.children].find((x) => x !== m.li && (!x.dataset.seq || Number(x.dataset.seq) > m.seq));
    list.insertBefore(render(m), next ?? null);
    return !mine;
  }

  const fail = (m, text) => { m.failed = text; render(m); };
  const toBottom = () => { list.scrollTop = list.scrollHeight; };

  const thread = {
    bySeq, pending, lowest: Infinity, render, add, fail, toBottom,

    /** The seq below which this side has every message: resume and mark read from it (protocol.md). */
    contiguousSeq() {
      let upTo = 0;
      for (const m of [...bySeq.values()].sort((x, y) => x.seq - y.seq)) { if (!m.confirmed) break; upTo = m.seq; }
      return upTo;
    },

    /** An older page keeps the view where it was. */
    page(messages, older) {
      const height = list.scrollHeight;
      for (const m of messages) add(m);
      if (older) list.scrollTop += list.scrollHeight - height; else toBottom();
    },

    /** A live message: followed down if the view was at the bottom or it is not theirs. */
    live(f) {
      const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80 || f.sender !== them;
      const fresh = add(f);
      if (stick) toBottom();
      if (f.sender === them) thread.typing('');
      return fresh;
    },

    sending(m) {
      pending.set(m.clientMsgId, m);
      list.append(render(m));
      toBottom();
    },

    ack(f) {
      const m = pending.get(f.clientMsgId);
      if (m) add({ ...m, seq: f.seq, id: f.id, createdAt: f.createdAt }, false);
    },

    refused(f) {
      const m = pending.get(f.clientMsgId);
      if (m) fail(m, errorText(f));
      return m;
    },

    refresh() {
      for (const m of bySeq.values()) if (m.sender === me) m.li.querySelector('.state').textContent = state(m);
    },

    /** Their typing, for 4 s; '' hides it. */
    typing(text) {
      typing.textContent = text;
      clearTimeout(timer);
      if (text) timer = setTimeout(() => thread.typing(''), 4000);
    },

    /** Ours, told at most every 2 s. */
    typed(socket, frame) {
      if (socket?.open && Date.now() - typedAt > 2000) { typedAt = Date.now(); socket.send(frame); }
    },
  };
  return thread;
}
