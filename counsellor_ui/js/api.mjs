// The staff HTTP API (docs/protocol.md §6 and the issue 6 additions), relative to the
// page's own origin. Keeps the CSRF token from the login answer or GET /api/me and
// sends it as X-CSRF-Token on every state-changing request. DOM-free: `fetch` is
// passed in (tests give a fake).

export class ApiError extends Error {
  constructor(status, code, body = {}) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class Api {
  constructor(fetchImpl = (...a) => globalThis.fetch(...a)) {
    this._fetch = fetchImpl;
    this.csrf = null;
  }

  /** JSON in, JSON out; throws ApiError (status 0, code "network" when unreachable). */
  async request(method, path, body = undefined) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (CHANGES.has(method) && this.csrf) headers['X-CSRF-Token'] = this.csrf;
    let response;
    try {
      response = await this._fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network');
    }
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const code = data && typeof data.error === 'string' ? data.error : `http_${response.status}`;
      throw new ApiError(response.status, code, data ?? {});
    }
    if (data && typeof data.csrf === 'string') this.csrf = data.csrf;
    return data;
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body ?? {});
  }

  put(path, body) {
    return this.request('PUT', path, body);
  }

  forget() {
    this.csrf = null;
  }
}
