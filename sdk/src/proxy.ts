import type {
  ProxyEndpoint,
  ProxyPool,
  ProxyValidationIssue,
  ProxyValidationResult,
  RedactedProxyEndpoint,
} from './types.js';

export const PROXY_PROTOCOLS = ['http', 'https', 'socks5'] as const;
export const PROXY_STRATEGIES = ['round_robin', 'random', 'sticky'] as const;
export const PROXY_STICKY_SCOPES = ['job', 'domain', 'origin'] as const;
/** D11.14: the runtime and the SDK warn above the same pool size. */
export const LARGE_ROUND_ROBIN_POOL = 50;

type Issues = { errors: ProxyValidationIssue[]; warnings: ProxyValidationIssue[] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function credential(v: unknown): string | undefined | null {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'string' ? v : null;
}

function checkEndpoint(endpoint: unknown, prefix: string, out: Issues): void {
  if (!isObject(endpoint)) {
    out.errors.push({ field: prefix || 'endpoint', message: 'endpoint must be an object' });
    return;
  }
  const f = (name: string) => `${prefix}${name}`;
  const { protocol, host, port } = endpoint;
  if (typeof protocol !== 'string' || !(PROXY_PROTOCOLS as readonly string[]).includes(protocol)) {
    out.errors.push({ field: f('protocol'), message: `protocol must be one of ${PROXY_PROTOCOLS.join(', ')}` });
  } else if (protocol === 'socks5') {
    out.warnings.push({
      field: f('protocol'),
      message: 'socks5 is best effort: Chromium does not authenticate SOCKS proxies',
    });
  }
  if (typeof host !== 'string' || host === '') {
    out.errors.push({ field: f('host'), message: 'host must be a non-empty string' });
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    out.errors.push({ field: f('port'), message: 'port must be an integer between 1 and 65535' });
  }
  const user = credential(endpoint.username);
  const pass = credential(endpoint.password);
  if (user === null) out.errors.push({ field: f('username'), message: 'username must be a string' });
  if (pass === null) out.errors.push({ field: f('password'), message: 'password must be a string' });
  if (user !== null && pass !== null && (user === undefined) !== (pass === undefined)) {
    out.errors.push({
      field: f(user === undefined ? 'username' : 'password'),
      message: 'username and password must both be set or both be empty',
    });
  }
}

function result(out: Issues): ProxyValidationResult {
  return { valid: out.errors.length === 0, errors: out.errors, warnings: out.warnings };
}

/** Validates one endpoint with the rules of storage-and-policies §8.3. */
export function validateProxyEndpoint(endpoint: unknown): ProxyValidationResult {
  const out: Issues = { errors: [], warnings: [] };
  checkEndpoint(endpoint, '', out);
  return result(out);
}

/**
 * Validates a pool (§8.3). Accepts the camelCase TypeScript names and, for pools read from
 * config files, their snake_case spellings.
 */
export function validateProxyPool(pool: unknown): ProxyValidationResult {
  const out: Issues = { errors: [], warnings: [] };
  if (!isObject(pool)) {
    out.errors.push({ field: 'pool', message: 'pool must be an object' });
    return result(out);
  }
  const p = pool as Partial<ProxyPool> & Record<string, unknown>;
  if (typeof p.name !== 'string' || p.name === '') {
    out.errors.push({ field: 'name', message: 'name must be a non-empty string' });
  }
  const strategy = p.strategy;
  const strategyOk = typeof strategy === 'string' && (PROXY_STRATEGIES as readonly string[]).includes(strategy);
  if (!strategyOk) {
    out.errors.push({ field: 'strategy', message: `strategy must be one of ${PROXY_STRATEGIES.join(', ')}` });
  }
  if (!Array.isArray(p.endpoints) || p.endpoints.length === 0) {
    out.errors.push({ field: 'endpoints', message: 'a pool needs at least one endpoint' });
  } else {
    p.endpoints.forEach((e, i) => checkEndpoint(e, `endpoints[${i}].`, out));
    if (strategy === 'round_robin' && p.endpoints.length > LARGE_ROUND_ROBIN_POOL) {
      out.warnings.push({
        field: 'endpoints',
        message: `round_robin pool has ${p.endpoints.length} endpoints (more than ${LARGE_ROUND_ROBIN_POOL}); consider the random strategy`,
      });
    }
  }
  if (p.sticky !== undefined && p.sticky !== null) {
    if (!isObject(p.sticky)) {
      out.errors.push({ field: 'sticky', message: 'sticky must be an object' });
    } else {
      const s = p.sticky as Record<string, unknown>;
      if (typeof s.scope !== 'string' || !(PROXY_STICKY_SCOPES as readonly string[]).includes(s.scope)) {
        out.errors.push({ field: 'sticky.scope', message: `sticky scope must be one of ${PROXY_STICKY_SCOPES.join(', ')}` });
      }
      const ttl = s.ttlMs ?? s.ttl_ms;
      if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0)) {
        out.errors.push({ field: 'sticky.ttlMs', message: 'ttlMs must be greater than 0 when set' });
      }
    }
  }
  const recency = p.recencyWindow ?? p.recency_window;
  if (recency !== undefined) {
    if (!(typeof recency === 'number' && Number.isInteger(recency) && recency > 0)) {
      out.errors.push({ field: 'recencyWindow', message: 'recencyWindow must be a positive integer when set' });
    } else if (strategyOk && strategy !== 'random') {
      out.warnings.push({
        field: 'recencyWindow',
        message: `recencyWindow has no effect with the ${String(strategy)} strategy (only random)`,
      });
    }
  }
  return result(out);
}

/** The endpoint without its password; username only when non-empty (the `proxy_used` shape). */
export function redactProxyEndpoint(endpoint: ProxyEndpoint): RedactedProxyEndpoint {
  const out: RedactedProxyEndpoint = { protocol: endpoint.protocol, host: endpoint.host, port: endpoint.port };
  if (typeof endpoint.username === 'string' && endpoint.username !== '') out.username = endpoint.username;
  return out;
}
