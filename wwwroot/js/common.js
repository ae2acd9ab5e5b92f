// The one shared front-end module: the widget and the admin pages import from here; no function exists twice.

/** Creates an element; text is always set as textContent, never parsed as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children);
  return node;
}

/** Admin API calls: JSON in and out, the CSRF token on state-changing requests, errors as ApiError objects. */
export async function api(path, { method = 'GET', body, csrf } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw { error: 'offline', message: 'The server cannot be reached. Check your connection and try again.' };
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw data ?? { error: 'server_error', message: `The server answered ${response.status}.` };
  return data;
}
