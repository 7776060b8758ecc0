/**
 * External services of the integration tests (Redis, NATS): their URLs from
 * the environment, a TCP probe, and `describeWithService`, which skips a suite
 * when its service is down — or fails it when VETO_REQUIRE_SERVICES=1 (CI).
 *
 *   await describeWithService('redis', 'RedisStateStore', () => { ... });
 *
 * (Await it at the top level of the test file: the probe is asynchronous.)
 */
import { connect } from 'node:net';
import { describe, it } from 'vitest';

export type ServiceName = 'redis' | 'nats';

const DEFAULTS: Readonly<Record<ServiceName, { env: string; url: string; port: number }>> = {
  redis: { env: 'VETO_REDIS_URL', url: 'redis://127.0.0.1:6379', port: 6379 },
  nats: { env: 'VETO_NATS_URL', url: 'nats://127.0.0.1:4222', port: 4222 },
};

export function serviceUrl(name: ServiceName): string {
  const { env, url } = DEFAULTS[name];
  const value = process.env[env];
  return value !== undefined && value.trim() !== '' ? value.trim() : url;
}

export function redisUrl(): string {
  return serviceUrl('redis');
}

export function natsUrl(): string {
  return serviceUrl('nats');
}

/** True when VETO_REQUIRE_SERVICES=1: a missing service fails the suite instead of skipping it. */
export function servicesRequired(): boolean {
  return process.env.VETO_REQUIRE_SERVICES === '1';
}

/** Host and port of a service URL (the first server of a comma-separated NATS list). */
export function serviceAddress(name: ServiceName): { host: string; port: number } {
  const first = serviceUrl(name).split(',')[0]?.trim() ?? '';
  const url = new URL(first.includes('://') ? first : `${name}://${first}`);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port: url.port ? Number(url.port) : DEFAULTS[name].port };
}

/** Whether a TCP connection to the service succeeds within `timeoutMs`. Never throws. */
export function serviceAvailable(name: ServiceName, timeoutMs = 1000): Promise<boolean> {
  let address: { host: string; port: number };
  try {
    address = serviceAddress(name);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    const finish = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/**
 * `describe(title, fn)` when the service answers. Otherwise the suite is
 * skipped, or, with VETO_REQUIRE_SERVICES=1, replaced by one failing test.
 */
export async function describeWithService(name: ServiceName, title: string, fn: () => void): Promise<void> {
  const up = await serviceAvailable(name);
  if (!up && servicesRequired()) {
    describe(title, () => {
      it(`requires ${name} at ${serviceUrl(name)}`, () => {
        throw new Error(`${name} is not reachable at ${serviceUrl(name)} and VETO_REQUIRE_SERVICES=1`);
      });
    });
    return;
  }
  describe.skipIf(!up)(up ? title : `${title} (skipped: ${name} not reachable at ${serviceUrl(name)})`, fn);
}

/** `describeWithService` for suites that need several services. */
export async function describeWithServices(names: readonly ServiceName[], title: string, fn: () => void): Promise<void> {
  const down: ServiceName[] = [];
  for (const name of names) if (!(await serviceAvailable(name))) down.push(name);
  if (down.length > 0 && servicesRequired()) {
    describe(title, () => {
      it(`requires ${names.join(' and ')}`, () => {
        throw new Error(`${down.join(', ')} not reachable (${down.map(serviceUrl).join(', ')}) and VETO_REQUIRE_SERVICES=1`);
      });
    });
    return;
  }
  describe.skipIf(down.length > 0)(down.length > 0 ? `${title} (skipped: ${down.join(', ')} not reachable)` : title, fn);
}
