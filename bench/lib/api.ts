/**
 * The few API calls the benchmark makes outside the timed runs (schema, tokens, random ids), over
 * plain `fetch`: they are sequential, so fetch's limits do not matter here.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 500)}`);
  }
}

export class Api {
  constructor(
    readonly baseUrl: string,
    public token = "",
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown, token = this.token): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (token) headers.Authorization = token;
    const res = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new ApiError(res.status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** auth-with-password; returns the token and the record. */
  async authWithPassword(
    collection: string,
    identity: string,
    password: string,
  ): Promise<{ token: string; record: any }> {
    return this.call("POST", `/api/collections/${collection}/auth-with-password`, { identity, password }, "");
  }

  collection(name: string): Promise<any> {
    return this.call("GET", `/api/collections/${encodeURIComponent(name)}`);
  }

  createCollection(data: unknown): Promise<any> {
    return this.call("POST", "/api/collections", data);
  }

  updateCollection(name: string, data: unknown): Promise<any> {
    return this.call("PATCH", `/api/collections/${encodeURIComponent(name)}`, data);
  }

  async deleteCollection(name: string): Promise<void> {
    await this.call("DELETE", `/api/collections/${encodeURIComponent(name)}`);
  }

  async truncate(name: string): Promise<void> {
    await this.call("DELETE", `/api/collections/${encodeURIComponent(name)}/truncate`);
  }

  /** Up to `n` ids in random order (upstream's randomRecordIds, through the API). */
  async randomIds(collection: string, n: number): Promise<string[]> {
    const out: string[] = [];
    const seen = new Set<string>();
    // perPage is capped at 1000: random pages until we have n distinct ids or the table is exhausted.
    for (let guard = 0; out.length < n && guard < 50; guard++) {
      const per = Math.min(1000, n - out.length);
      const r = await this.call<{ items: { id: string }[] }>(
        "GET",
        `/api/collections/${encodeURIComponent(collection)}/records?perPage=${per}&sort=@random&fields=id&skipTotal=1`,
      );
      let added = 0;
      for (const it of r.items) {
        if (!seen.has(it.id)) {
          seen.add(it.id);
          out.push(it.id);
          added++;
        }
      }
      if (r.items.length < per || added === 0) break;
    }
    return out.slice(0, n);
  }

  async count(collection: string): Promise<number> {
    const r = await this.call<{ totalItems: number }>(
      "GET",
      `/api/collections/${encodeURIComponent(collection)}/records?perPage=1&fields=id`,
    );
    return r.totalItems;
  }
}
