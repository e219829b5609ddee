import type { JsonRow } from '../db/rows';
import type { GroupMemberRow } from '../groups/store';
import { type Html, html } from './html';

/** A group member as the API shows it (GET /v1/groups/{id}), as the map and the member timeline read it. */
export type MemberRow = JsonRow<GroupMemberRow>;

const WIDTH = 960;
const ROW = 34;
const TOP = 30;
const NODE_W = 300;
const NODE_H = 24;
const SERVICE_X = 60;
const HOST_X = WIDTH - 60 - NODE_W;
// Past this, a column says how many more it holds: the page stays readable in a 500-alert storm.
const MAX_NODES = 25;

const clip = (text: string, n: number) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

interface MapNode {
  kind: 'service' | 'host';
  name: string;
  alerts: number;
  firing: number;
}

/** Each service or host the members name, with how many members alert on it and how many still fire. */
function nodesOf(members: readonly MemberRow[], kind: MapNode['kind']): MapNode[] {
  const nodes = new Map<string, MapNode>();
  for (const m of members) {
    const name = kind === 'service' ? m.service : m.hostname;
    if (!name) continue;
    const node = nodes.get(name) ?? { kind, name, alerts: 0, firing: 0 };
    node.alerts++;
    if (!m.recovered) node.firing++;
    nodes.set(name, node);
  }
  return [...nodes.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The members' service map as inline SVG: services in the left column, hosts in the right, each
 * sorted by name (so the same group always draws the same picture), and an edge wherever a member
 * alerts on a service on a host, so services sharing a host meet at it. A node still firing is
 * red, one whose members all recovered green; the first member to fire marks its nodes.
 */
export function serviceMap(members: readonly MemberRow[]): Html {
  const services = nodesOf(members, 'service');
  const hosts = nodesOf(members, 'host');
  const shownServices = services.slice(0, MAX_NODES);
  const shownHosts = hosts.slice(0, MAX_NODES);
  const rows = Math.max(shownServices.length, shownHosts.length, 1) + (services.length > MAX_NODES || hosts.length > MAX_NODES ? 1 : 0);
  const height = TOP + rows * ROW + 8;
  const y = (i: number) => TOP + i * ROW;
  const serviceRow = new Map(shownServices.map((n, i) => [n.name, i]));
  const hostRow = new Map(shownHosts.map((n, i) => [n.name, i]));
  const first = members[0];

  const edges = new Set<string>();
  for (const m of members) {
    if (m.service && m.hostname && serviceRow.has(m.service) && hostRow.has(m.hostname)) edges.add(JSON.stringify([m.service, m.hostname]));
  }
  const edgeLines = [...edges].sort().map((edge) => {
    const [service, host] = JSON.parse(edge) as [string, string];
    const y1 = y(serviceRow.get(service)!) + NODE_H / 2;
    const y2 = y(hostRow.get(host)!) + NODE_H / 2;
    return html`<line data-testid="map-edge" x1="${SERVICE_X + NODE_W}" y1="${y1}" x2="${HOST_X}" y2="${y2}" class="map-edge"><title>${service} on ${host}</title></line>`;
  });

  const node = (n: MapNode, x: number, i: number) => {
    const isFirst = !!first && (n.kind === 'service' ? first.service : first.hostname) === n.name;
    const state = n.firing > 0 ? 'firing' : 'recovered';
    return html`<g data-testid="map-node" data-kind="${n.kind}" data-name="${n.name}">
      <rect x="${x}" y="${y(i)}" width="${NODE_W}" height="${NODE_H}" rx="5" class="map-node ${state}${isFirst ? ' first' : ''}"/>
      <text x="${x + 8}" y="${y(i) + 16}">${clip(n.name, 34)} · ${n.alerts} alert${n.alerts === 1 ? '' : 's'}${isFirst ? ' · first to fire' : ''}</text>
      <title>${n.kind} ${n.name}: ${n.alerts} alerts, ${n.firing} firing</title>
    </g>`;
  };
  const more = (shown: number, total: number, x: number) =>
    total > shown ? html`<text x="${x + 8}" y="${y(shown) + 16}" class="tick">+${total - shown} more</text>` : '';

  return html`<svg data-testid="service-map" viewBox="0 0 ${WIDTH} ${height}" width="100%" role="img" aria-label="Service map of the group's members" xmlns="http://www.w3.org/2000/svg">
  <text x="${SERVICE_X}" y="18" class="tick">Services (${services.length})</text>
  <text x="${HOST_X}" y="18" class="tick">Hosts (${hosts.length})</text>
  ${edgeLines}
  ${shownServices.map((n, i) => node(n, SERVICE_X, i))}${more(shownServices.length, services.length, SERVICE_X)}
  ${shownHosts.map((n, i) => node(n, HOST_X, i))}${more(shownHosts.length, hosts.length, HOST_X)}
</svg>`;
}
