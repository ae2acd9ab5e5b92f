// Uploading files, shared by the widget and the console. Apart from common.js because the widget loads it only when a
// visitor picks a file: what every page with the widget downloads up front stays inside the widget's 30 KB budget.
import { el, t, errorText } from './common.js';

/** m's file into thread (thread.js), shown as sending: its progress shows as m's state, then the stored message or why not. */
export async function sendFile(thread, m, url, file, headers) {
  try {
    const sent = await upload(url, file, m.clientMsgId, headers, (p) => { m.progress = p; thread.render(m); });
    // Not when the console has opened another conversation meanwhile.
    if (thread.pending.get(m.clientMsgId) === m) thread.add({ ...m, ...sent }, false);
  } catch (e) {
    // The file's own reasons first (too large, type not allowed), else the usual error text.
    const key = `file.${e.error}`;
    thread.fail(m, t(key) !== key ? t(key) : errorText(e));
  }
}

/**
 * Sends a file as multipart/form-data with a progress callback (0..1); resolves with the stored message, rejects with
 * { error } like api(). An image goes with a small thumbnail drawn here.
 */
async function upload(url, file, clientMsgId, headers, onProgress) {
  const form = new FormData();
  form.append('clientMsgId', clientMsgId);
  const thumb = await thumbnailOf(file);
  if (thumb) form.append('thumbnail', thumb, 'thumb.jpg');
  form.append('file', file, file.name);
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', url);
    for (const k in headers) x.setRequestHeader(k, headers[k]);
    x.upload.onprogress = (e) => onProgress(e.loaded / (e.total || 1));
    x.onerror = () => reject({ error: 'offline' });
    x.onload = () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch { /* an empty or non-JSON answer */ }
      if (x.status < 300) resolve(data); else reject({ status: x.status, ...(data ?? { error: x.status === 413 ? 'too_large' : 'unknown' }) });
    };
    x.send(form);
  });
}

/** A JPEG of at most 240 px and 64 KB, or null (not an image, or the browser cannot decode it: the server decides anyway). */
async function thumbnailOf(file) {
  if (!/^image\/(png|jpeg|gif|webp)$/.test(file.type)) return null;
  try {
    const img = await createImageBitmap(file);
    const k = Math.min(1, 240 / Math.max(img.width, img.height));
    const c = el('canvas', { width: Math.ceil(img.width * k), height: Math.ceil(img.height * k) });
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
    g.drawImage(img, 0, 0, c.width, c.height);
    const blob = await new Promise((r) => c.toBlob(r, 'image/jpeg', 0.8));
    return blob?.size <= 65536 ? blob : null;
  } catch {
    return null;
  }
}
