import { burstGroups, connectedServices, LOST_HOSTS, memberLinks } from '../../src/groups/links';

// The failover storm's map: orders-db is called by four services, checkout-api calls three of them.
const MAP = {
  'checkout-web': ['checkout-api'],
  'checkout-api': ['orders-api', 'payments-api', 'inventory-svc'],
  'orders-api': ['orders-db'],
  'payments-api': ['orders-db'],
  'inventory-svc': ['orders-db'],
  'orders-db': [],
  'search-indexer': ['search-db'],
};

describe('connected services in the service map', () => {
  it('are the direct callers and callees of a service', () => {
    expect(connectedServices(MAP, 'orders-api')).toEqual(['checkout-api', 'orders-db']);
    expect(connectedServices(MAP, 'orders-db')).toEqual(['inventory-svc', 'orders-api', 'payments-api']);
  });

  it('leave out two callers of one dependency, and services of another part of the map', () => {
    expect(connectedServices(MAP, 'payments-api')).not.toContain('inventory-svc');
    expect(connectedServices(MAP, 'orders-db')).not.toContain('search-indexer');
    expect(connectedServices(MAP, 'no-such-service')).toEqual([]);
  });
});

describe("a member's links", () => {
  it('names its service and host, and mentions its neighbours and the words of its text', () => {
    const links = memberLinks(
      {
        service: 'orders-api',
        hostname: 'k8s-node-02',
        tags: ['env:prod'],
        title: 'orders-api error rate',
        message: 'waiting on the database',
      },
      MAP,
    );
    expect(links.names).toEqual(['orders-api', 'k8s-node-02']);
    expect(links.mentions).toEqual(expect.arrayContaining(['checkout-api', 'orders-db', 'database']));
    expect(links.mentions).not.toContain('orders-api');
    expect(links.places).toEqual([]);
  });

  it('has no neighbours without a map, or for a service the map does not know', () => {
    expect(memberLinks({ service: 'orders-api', tags: [] }).mentions).toEqual([]);
    expect(memberLinks({ service: 'ledger', tags: [] }, MAP).mentions).toEqual([]);
  });

  it('names a specific change, but not a bare version number or a moving label', () => {
    expect(memberLinks({ tags: ['version:httpkit-2.9.0'] }).names).toEqual(['change:httpkit-2.9.0']);
    expect(memberLinks({ tags: ['git.commit.sha:9f1c2ab'] }).names).toEqual(['change:9f1c2ab']);
    expect(memberLinks({ tags: ['version:1.4.2', 'version:latest', 'release:v2'] }).names).toEqual([]);
  });

  it('names addresses its text names; a zone tag is a place, a zone in the text a mention', () => {
    const links = memberLinks({
      tags: ['availability-zone:eu-west-1c'],
      message: 'fails calls to kyc-orchestrator.svc and 10.61.0.10:53; pods in eu-west-1b time out',
    });
    expect(links.names).toEqual(expect.arrayContaining(['kyc-orchestrator.svc', '10.61.0.10']));
    expect(links.mentions).toEqual(expect.arrayContaining(['kyc-orchestrator', 'eu-west-1b']));
    expect(links.places).toEqual(['eu-west-1c']);
  });

  it('does not mention the zone it runs in: naming its own zone describes it, naming another points there', () => {
    const links = memberLinks({
      hostname: 'edge-gw-01',
      tags: ['availability-zone:us-east-1a'],
      message: 'The agent on edge-gw-01 (edge-gateway, us-east-1a) has not reported; calls to us-east-1b time out',
    });
    expect(links.mentions).not.toContain('us-east-1a');
    expect(links.mentions).toContain('us-east-1b');
  });

  it("takes a probe's host for where it ran, not what failed: no host link for a synthetic test or a URL check", () => {
    const synthetic = memberLinks({ hostname: 'synthetics-managed-aws-us-east-1', tags: [], monitorType: 'synthetics alert' });
    const urlCheck = memberLinks({ hostname: 'synthetics-managed-aws-us-east-1', tags: [], scope: 'url:https://promo.example.com' });
    const hostCheck = memberLinks({ hostname: 'edge-gw-01', tags: [], monitorType: 'service check', scope: 'host:edge-gw-01' });
    expect(synthetic.host).toBeUndefined();
    expect(synthetic.names).toEqual([]);
    expect(urlCheck.host).toBeUndefined();
    expect(hostCheck.host).toBe('edge-gw-01');
    expect(hostCheck.names).toEqual(['edge-gw-01']);
  });

  it("hyphenates neighbouring words, so 'the internal gateway' mentions internal-gateway", () => {
    expect(memberLinks({ tags: [], message: 'cannot call services behind the internal gateway' }).mentions).toContain('internal-gateway');
  });

  it("names a failing name lookup as the cluster's DNS, and a resolver's own alert too", () => {
    const cluster = ['kube_cluster_name:lumen-prod'];
    expect(memberLinks({ tags: cluster, message: 'lookup ledger.internal: i/o timeout' }).names).toContain('cause:dns@lumen-prod');
    expect(memberLinks({ service: 'coredns', tags: cluster, title: 'coredns containers OOMKilled' }).names).toContain(
      'cause:dns@lumen-prod',
    );
    expect(memberLinks({ tags: cluster, message: 'p99 latency above 1s' }).names).not.toContain('cause:dns@lumen-prod');
  });
});

describe('burst scopes', () => {
  const cluster = ['kube_cluster_name:prod-core'];
  it("mark an alert about a node, the pod network or the cluster's DNS as its cluster's platform; a workload only as in the cluster", () => {
    expect(memberLinks({ service: 'calico-node', tags: [...cluster, 'kube_daemon_set:calico-node'] }).bursts).toEqual([
      'cluster:prod-core',
      'platform:prod-core',
    ]);
    expect(memberLinks({ service: 'checkout-api', tags: cluster, title: 'error rate above 5%' }).bursts).toEqual(['cluster:prod-core']);
    expect(memberLinks({ hostname: 'edge-gw-02', tags: [], title: 'Host not reporting' }).bursts).toEqual([LOST_HOSTS]);
  });

  it("join a cluster's services only beside its platform's trouble, and lost hosts only three at once", () => {
    const workload = memberLinks({ service: 'search-api', tags: cluster });
    const services = [
      { groupId: 'a', bursts: ['cluster:prod-core'], subject: 'messages-api' },
      { groupId: 'b', bursts: ['cluster:prod-core'], subject: 'channels-api' },
    ];
    expect(burstGroups(workload, 'search-api', services)).toEqual([]);
    const platform = { groupId: 'c', bursts: ['cluster:prod-core', 'platform:prod-core'], subject: 'coredns' };
    expect(burstGroups(workload, 'search-api', [...services, platform])).toEqual(['a', 'b', 'c']);

    const lost = memberLinks({ hostname: 'h3', tags: [], title: 'EC2 instance status check failed' });
    const one = { groupId: 'd', bursts: [LOST_HOSTS], subject: 'h1' };
    expect(burstGroups(lost, 'h3', [one])).toEqual([]);
    expect(burstGroups(lost, 'h3', [one, { groupId: 'e', bursts: [LOST_HOSTS], subject: 'h2' }])).toEqual(['d', 'e']);
  });

  it('join services whose titles say the same symptom without their own names, three at once', () => {
    const rejecting = (service: string, host: string) =>
      memberLinks({
        service,
        hostname: host,
        tags: [],
        title: `[Triggered on {host:${host}}] ${service} rejecting requests with 429 (${host})`,
      });
    expect(rejecting('auth-api', 'h1').bursts).toEqual(['symptom:rejecting requests with 429']);
    // A title that does not name its subject, or says too little without it, is no shared symptom.
    expect(memberLinks({ service: 'auth-api', tags: [], title: 'Login success rate below 90%' }).bursts).toEqual([]);
    expect(memberLinks({ service: 'auth-api', tags: [], title: 'auth-api down' }).bursts).toEqual([]);
    const one = { groupId: 'a', bursts: rejecting('qm-api', 'h2').bursts, subject: 'h2' };
    expect(burstGroups(rejecting('auth-api', 'h1'), 'h1', [one])).toEqual([]);
    const two = { groupId: 'b', bursts: rejecting('share-links', 'h3').bursts, subject: 'h3' };
    expect(burstGroups(rejecting('auth-api', 'h1'), 'h1', [one, two])).toEqual(['a', 'b']);
  });
});
