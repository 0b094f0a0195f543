// The JSON API, called with the signed-in member's token. Errors carry the API's own
// {"detail", "status"} so the page can show the server's words.

let current = null;
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `Request failed (${status})`);
    this.status = status;
  }
}

/** Use this session for every call; `unauthorized` runs when the token stops working. */
export function configure(session, unauthorized) {
  current = session;
  if (unauthorized) onUnauthorized = unauthorized;
}

export function session() {
  return current;
}

function url(path, params) {
  const target = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "") {
      target.searchParams.set(name, value);
    }
  }
  return target;
}

/** The raw Response of an API call (for images and event streams). */
export async function request(path, { method = "GET", params, body, headers, signal, token } = {}) {
  const bearer = token || (current && current.token);
  const init = { method, signal, headers: { ...headers } };
  if (bearer) init.headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(url(path, params), init);
  if (response.status === 401 && !token) onUnauthorized();
  return response;
}

async function failure(response) {
  let detail = null;
  try {
    const body = await response.json();
    detail = body.detail || body.error || null;
  } catch {
    detail = null;
  }
  return new ApiError(response.status, detail);
}

/** A JSON API call; throws ApiError on any non-2xx answer. */
export async function call(path, options = {}) {
  const response = await request(path, options);
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return null;
  return response.json();
}

/** `userId` for calls that accept it, when an organization key acts as a member. */
export function actingAs() {
  return current && current.actAs ? { userId: current.actAs } : {};
}
