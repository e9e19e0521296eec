// The JSON API client every page uses: a bearer token when one is given, JSON in and out, and
// an error that keeps the HTTP status and the API's own words.

export class ApiError extends Error {
  constructor(status, detail, retryAfter = null) {
    super(detail);
    this.status = status;
    this.retryAfter = retryAfter; // seconds, when a 429 or 503 says how long to wait
  }
}

// A staff page that signed in hears here when the server refuses its token (a session that
// expired, a token revoked): shared/session.js then asks to sign in again. Pages with no one
// signed in (the customer's chat) set nothing, and see the 401 as any other error.
let refused = null;
export function whenTokenRefused(handler) {
  refused = handler;
}

export async function api(path, { method = "GET", body, token, raw = false, headers = {}, signal } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = "Bearer " + token;
  let payload = body;
  if (body !== undefined && typeof body !== "string") {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers: h, body: payload, signal });
  } catch (_) {
    // fetch rejects only when no answer came ("Failed to fetch") or the caller gave up on it
    // (`signal`): say so in a person's words.
    throw new ApiError(0, "the server could not be reached; check the connection and try again");
  }
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const data = await response.json();
      detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    } catch (_) {
      /* not JSON */
    }
    if (response.status === 401 && token && refused) refused();
    const wait = Number.parseInt(response.headers.get("Retry-After") || "", 10);
    throw new ApiError(response.status, detail, Number.isFinite(wait) ? wait : null);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

// The same calls, always with the token `token()` returns (a staff page's signed-in token).
export function client(token) {
  return (path, options = {}) => api(path, { ...options, token: token() });
}
