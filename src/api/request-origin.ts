import { BlockList, isIP } from 'node:net';
import type { Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { AddressRange } from '../config';

/** Who sent a request, as far as the API can tell, and whether it reached us over https. */
export interface RequestOrigin {
  /** The client's address; `in-process` for a request made with app.request (tests, benchmarks). */
  client: string;
  https: boolean;
}

/** The proxies (RAYNE_TRUSTED_PROXY) whose forwarding headers are believed. */
export function trustedProxies(ranges: readonly AddressRange[]): BlockList {
  const proxies = new BlockList();
  for (const r of ranges) proxies.addSubnet(r.network, r.prefix, r.family);
  return proxies;
}

const isTrusted = (proxies: BlockList, address: string) => {
  const family = isIP(address);
  return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/**
 * The request's origin. A peer that is a trusted proxy is looked through: the client is the
 * rightmost X-Forwarded-For hop that is not itself a trusted proxy (hops left of it are whatever
 * the client claimed), and X-Forwarded-Proto says the scheme. Anyone else's headers are ignored.
 */
export function requestOrigin(c: Context, proxies: BlockList): RequestOrigin {
  const direct = new URL(c.req.url).protocol === 'https:';
  // app.request carries no socket: there is no peer to name.
  const peer = (c.env as { incoming?: unknown } | undefined)?.incoming ? getConnInfo(c).remote.address : undefined;
  if (!peer) return { client: 'in-process', https: direct };
  if (!isTrusted(proxies, peer)) return { client: peer, https: direct };
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  let client = peer;
  while (hops.length > 0 && isTrusted(proxies, client)) client = hops.pop()!;
  const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return { client, https: proto === undefined ? direct : proto === 'https' };
}
