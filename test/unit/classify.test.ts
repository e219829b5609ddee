import { classifyAlert, type AlertSignals } from '../../src/workflows/classify';
import type { Role } from '../../src/contracts/rca';

const table: Array<[string, AlertSignals, Role]> = [
  ['log monitors are logs', { monitorType: 'log alert', service: 'postgres' }, 'logs'],
  ['database monitoring', { monitorType: 'database-monitoring alert' }, 'database'],
  [
    'postgres metrics in the query',
    { monitorType: 'metric alert', query: 'avg(last_5m):avg:postgresql.connections{db:x} > 90' },
    'database',
  ],
  ['tcp retransmits are network', { monitorType: 'metric alert', query: 'avg:system.net.tcp.retrans_segs{*}' }, 'network'],
  [
    'cpu is infrastructure',
    { monitorType: 'metric alert', query: 'avg(last_5m):avg:system.cpu.user{role:web} by {host} > 90', service: 'web' },
    'infrastructure',
  ],
  [
    'APM error rate',
    { monitorType: 'query alert', query: 'sum(last_5m):sum:trace.express.request.errors{service:cart-api}.as_count() > 5' },
    'application',
  ],
  ['kubernetes restarts', { query: 'change(max(last_15m),last_15m):sum:kubernetes.containers.restarts{x}' }, 'infrastructure'],
  ['db tag', { tags: ['env:prod', 'db:orders'] }, 'database'],
  ['role tag by word', { tags: ['role:edge-proxy'] }, 'network'],
  ['api-gateway is always network (gateway), never a coin toss', { service: 'api-gateway' }, 'network'],
  ['gateway-api too', { service: 'gateway-api' }, 'network'],
  ['"lb" inside a word is not a load balancer', { service: 'bulb-api' }, 'application'],
  ['"db" inside a word is not a database', { service: 'feedback-service' }, 'application'],
  ['"pg" prefix of a host name', { hostname: 'pg-main-01' }, 'database'],
  ['"lb" as a whole word in a host name', { hostname: 'lb-edge-01' }, 'network'],
  ['a plain host is infrastructure', { hostname: 'ip-10-42-7-118.ec2.internal' }, 'infrastructure'],
  ['service before host', { service: 'checkout-service', hostname: 'db-01' }, 'application'],
  ['nothing to go on', {}, 'general'],
  [
    'a CPU monitor on a web role is infrastructure',
    { monitorType: 'metric alert', monitorName: 'CPU user above 90% on storefront web hosts', tags: ['role:storefront-web'] },
    'infrastructure',
  ],
  ['a latency monitor is application', { monitorName: 'order-service p99 latency above 2s', hostname: 'pg-01' }, 'application'],
  ['certificate expiry is network', { title: '[P1] TLS certificate expires in 3 days' }, 'network'],
  ['"loader" is not "load"', { monitorName: 'asset loader queue' }, 'general'],
  ['unknown monitor type falls through to names', { monitorType: 'composite', service: 'redis-cache' }, 'database'],
];

describe('classifyAlert', () => {
  it.each(table)('%s', (_name, signals, role) => {
    expect(classifyAlert(signals).role).toBe(role);
  });

  it('is deterministic and says which rule decided', () => {
    const signals = { service: 'api-gateway', hostname: 'web-01' };
    const results = Array.from({ length: 20 }, () => classifyAlert(signals));
    expect(new Set(results.map((r) => r.reason))).toEqual(new Set(['service "api-gateway"']));
    expect(classifyAlert({ monitorType: 'Log Alert' }).reason).toBe('monitor type "Log Alert"');
  });
});
