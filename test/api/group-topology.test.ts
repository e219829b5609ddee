import crypto from 'node:crypto';
import path from 'node:path';
import type { GroupMember, GroupSettings } from '../../src/contracts/group';
import { type DatadogSandbox, startDatadogSandbox } from '../../src/demo/sandbox';
import { loadStorm, stormScenario } from '../../src/demo/storm';
import { BURST_S, memberLinks } from '../../src/groups/links';
import { ServiceMaps } from '../../src/groups/service-maps';
import { GroupStore } from '../../src/groups/store';
import { createTestApi, createTestDatabase, eventually, postJson, startTestWorker, testConfig, type TestApi } from '../support/harness';

// The token service's storm: patient-portal, fhir-gateway, claims-api… all call token-service; hl7-bridge is not in the map.
const storm = loadStorm(path.join(__dirname, '..', '..', 'scenarios', 'storms', 'cedar-token-service-memory-leak.json'));
const KEYS = { api_key: 'topology-api-key', app_key: 'topology-app-key' };
const auth = { authorization: 'Bearer tok' };
const SETTINGS: GroupSettings = { waitS: 2, lifetimeS: 3600, maxMembers: 50, reanalysisIntervalS: 300, maxRcas: 3 };

describe('grouping by topology, change and the dependencies alerts name', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let sandbox: DatadogSandbox;
  let api: TestApi;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  const run = crypto.randomBytes(3).toString('hex');

  beforeAll(async () => {
    database = await createTestDatabase();
    sandbox = await startDatadogSandbox({ scenario: stormScenario(storm), apiKey: KEYS.api_key, appKey: KEYS.app_key });
    api = createTestApi(database.url, testConfig({ RAYNE_API_TOKEN: 'tok', RAYNE_GROUP_WAIT_S: '2' }));
    worker = await startTestWorker(database.db, api.config);
  });
  afterAll(async () => {
    await worker.stop();
    await api.close();
    await sandbox.close();
    await database.drop();
  });

  describe('the join decision', () => {
    let store: GroupStore;
    let n = 0;
    beforeAll(() => {
      store = new GroupStore(database.db);
    });
    const join = (account: string, alert: Parameters<typeof memberLinks>[0], map = storm.datadog.service_map, laterS = 0) => {
      n += 1;
      const member: GroupMember = {
        memberKey: `incident/${account}/${n}#1`,
        eventId: String(900_000 + n),
        account,
        monitorId: String(n),
        ...(alert.service ? { service: alert.service } : {}),
        ...(alert.hostname ? { hostname: alert.hostname } : {}),
        status: 'Alert',
        alertedAt: new Date(Date.now() + laterS * 1000).toISOString(),
      };
      return store.join(member, SETTINGS, memberLinks(alert, map));
    };

    it('joins services connected in the map, in either direction, and never an unconnected one', async () => {
      const account = `decide-map-${run}`;
      const caller = await join(account, { service: 'fhir-gateway', hostname: 'h1', tags: [] });
      const callee = await join(account, { service: 'token-service', hostname: 'h2', tags: [] });
      const callersCaller = await join(account, { service: 'patient-portal', hostname: 'h3', tags: [] });
      const unconnected = await join(account, { service: 'hl7-bridge', hostname: 'h4', tags: [] });
      expect(callee.groupId).toBe(caller.groupId);
      expect(callersCaller.groupId).toBe(caller.groupId);
      expect(unconnected.created).toBe(true);
      expect(unconnected.groupId).not.toBe(caller.groupId);
    });

    it('keeps probes apart that share only the location they ran from, and joins alerts about one host', async () => {
      const account = `decide-probes-${run}`;
      const location = `synthetics-managed-${run}`;
      const checkout = await join(account, { service: 'storefront', hostname: location, tags: [], monitorType: 'synthetics alert' });
      const promo = await join(account, { service: 'promo-site', hostname: location, tags: [], scope: 'url:https://promo.example.com' });
      expect(promo.groupId).not.toBe(checkout.groupId);
      const down = await join(account, { service: 'edge', hostname: `edge-${run}`, tags: [], scope: `host:edge-${run}` });
      const sameHost = await join(account, { service: 'kubelet', hostname: `edge-${run}`, tags: [] });
      expect(sameHost.groupId).toBe(down.groupId);
    });

    it('keeps two callers of one dependency apart while the dependency itself has not alerted', async () => {
      const account = `decide-siblings-${run}`;
      const first = await join(account, { service: 'scheduling-api', hostname: 'h1', tags: [] });
      const sibling = await join(account, { service: 'claims-api', hostname: 'h2', tags: [] });
      expect(sibling.groupId).not.toBe(first.groupId);
    });

    it('joins alerts of one specific change, of a dependency one names, of a zone one names; not of a shared zone tag alone', async () => {
      const account = `decide-cause-${run}`;
      const deploy = await join(account, { service: 'trip-builder', tags: ['version:httpkit-2.9.0'] }, {});
      const sameDeploy = await join(account, { service: 'billing-sync', tags: ['version:httpkit-2.9.0'] }, {});
      const bareVersion = await join(account, { service: 'geofence', tags: ['version:1.0.0'] }, {});
      const sameBareVersion = await join(account, { service: 'mqtt-broker', tags: ['version:1.0.0'] }, {});
      expect(sameDeploy.groupId).toBe(deploy.groupId);
      expect(sameBareVersion.groupId).not.toBe(bareVersion.groupId);

      const dependency = await join(account, { service: 'blobstore', hostname: 'blob-idx-01', tags: [] }, {});
      const caller = await join(account, { service: 'order-export', tags: [], message: 'blobstore answered 503 Slow Down' }, {});
      expect(caller.groupId).toBe(dependency.groupId);

      const zoned = await join(account, { hostname: 'node-11', tags: ['availability-zone:eu-west-1c'] }, {});
      const sameZone = await join(account, { hostname: 'node-12', tags: ['availability-zone:eu-west-1c'] }, {});
      const namesZone = await join(account, { service: 'booking-api', tags: [], message: 'Calls to pods in eu-west-1c time out.' }, {});
      expect(sameZone.groupId).not.toBe(zoned.groupId);
      expect(namesZone.groupId).toBe(zoned.groupId);
    });
    it("joins a cluster's services while its platform alerts in the same minutes, and hosts lost three at once", async () => {
      const account = `decide-burst-${run}`;
      const cluster = ['kube_cluster_name:prod-core'];
      const messages = await join(account, { service: 'messages-api', hostname: 'messages-1', tags: cluster }, {});
      const channels = await join(account, { service: 'channels-api', hostname: 'channels-1', tags: cluster }, {});
      const otherCluster = await join(account, { service: 'cert-manager', tags: ['kube_cluster_name:staging'] }, {});
      expect(channels.groupId).not.toBe(messages.groupId);
      const calico = await join(
        account,
        { service: 'calico-node', tags: [...cluster, 'kube_node:ip-10-40-33-12'], title: 'BGP peers down' },
        {},
      );
      expect(calico.groupId).toBe(messages.groupId);
      expect(calico.merged.map((m) => m.groupId)).toEqual([channels.groupId]);
      const search = await join(account, { service: 'search-api', hostname: 'search-1', tags: cluster }, {});
      expect(search.groupId).toBe(messages.groupId);
      expect(otherCluster.groupId).not.toBe(messages.groupId);
      const later = await join(account, { service: 'files-api', tags: cluster }, {}, 3 * BURST_S);
      expect(later.groupId).not.toBe(messages.groupId);

      const lost = (service: string, title: string) => join(account, { service, hostname: `${service}-01`, tags: [], title }, {});
      const edge = await lost('edge-gateway', 'Host not reporting');
      const redis = await lost('redis-cart', 'EC2 instance status check failed');
      expect(redis.groupId).not.toBe(edge.groupId);
      const node = await lost('kubelet', 'Kubernetes node NotReady');
      expect(node.groupId).toBe(edge.groupId);
      expect(node.merged.map((m) => m.groupId)).toEqual([redis.groupId]);
    });
  });

  describe('merging groups an alert links', () => {
    let store: GroupStore;
    let n = 0;
    beforeAll(() => {
      store = new GroupStore(database.db);
    });
    const member = (account: string, service: string): GroupMember => {
      n += 1;
      return {
        memberKey: `incident/${account}/merge-${n}#1`,
        eventId: String(800_000 + n),
        account,
        monitorId: String(n),
        service,
        status: 'Alert',
        alertedAt: new Date().toISOString(),
      };
    };
    const join = (m: GroupMember, settings = SETTINGS) => store.join(m, settings, memberLinks({ service: m.service, tags: [] }, {}));
    const statusOf = async (groupId: string) =>
      (
        await database.db.query<{ status: string; merged_into: string | null }>(
          'SELECT status, merged_into FROM incident_groups WHERE id = $1',
          [groupId],
        )
      ).rows[0];

    it('moves the younger group into the oldest, whichever alert came first, and a retried join reports the merge again', async () => {
      const account = `merge-${run}`;
      const checkout = await join(member(account, 'checkout'));
      const payments = member(account, 'payments');
      const younger = await join(payments);
      expect(younger.groupId).not.toBe(checkout.groupId);
      await store.recordRca(younger.groupId, `rca/merge-${run}`);

      // An alert whose text names payments, on checkout: one outage.
      const linking = member(account, 'checkout');
      const linkingLinks = memberLinks({ service: 'checkout', tags: [], message: 'calls to payments time out' }, {});
      const joined = await store.join(linking, SETTINGS, linkingLinks);
      expect(joined.groupId).toBe(checkout.groupId);
      expect(joined.merged).toEqual([
        expect.objectContaining({ groupId: younger.groupId, workflowId: younger.workflowId, memberCount: 1, members: [{ ...payments }] }),
      ]);
      expect(await statusOf(younger.groupId)).toEqual({ status: 'merged', merged_into: checkout.groupId });
      const group = await store.find(checkout.groupId);
      expect(group?.member_count).toBe(3);
      expect(group?.services).toEqual(['checkout', 'payments']);
      expect(group?.rca_ids).toEqual([`rca/merge-${run}`]);
      // A merged group starts no RCA of its own.
      expect(await store.recordRca(younger.groupId, `rca/merge-${run}/late`)).toBe(false);

      const retried = await store.join(linking, SETTINGS, linkingLinks);
      expect(retried).toMatchObject({ groupId: checkout.groupId, created: false, merged: joined.merged });
      // A later payments alert joins the surviving group.
      expect((await join(member(account, 'payments'))).groupId).toBe(checkout.groupId);
    });

    it('does not merge a group that would take the oldest past the maximum size', async () => {
      const account = `merge-full-${run}`;
      const small: GroupSettings = { ...SETTINGS, maxMembers: 3 };
      const first = await join(member(account, 'search'), small);
      await join(member(account, 'search'), small);
      const other = await join(member(account, 'index'), small);
      await join(member(account, 'index'), small);
      const linking = await store.join(
        member(account, 'search'),
        small,
        memberLinks({ service: 'search', tags: [], message: 'index unavailable' }, {}),
      );
      expect(linking.groupId).toBe(first.groupId);
      expect(linking.merged).toEqual([]);
      expect(await statusOf(other.groupId)).toEqual({ status: 'open', merged_into: null });
    });
  });

  it("reads an account's service map once per TTL, and nothing for an account without Datadog keys", async () => {
    const asked: string[] = [];
    const errors: unknown[] = [];
    let now = 0;
    const maps = new ServiceMaps({
      credentials: async (account) => {
        asked.push(account);
        return account === 'with-keys' ? { name: account, baseUrl: sandbox.url, apiKey: KEYS.api_key, appKey: KEYS.app_key } : undefined;
      },
      ttlMs: 60_000,
      onError: (_account, _env, err) => errors.push(err),
      now: () => now,
    });
    const reads = await Promise.all(Array.from({ length: 20 }, () => maps.get('with-keys', 'prod')));
    expect(reads.every((m) => m?.['fhir-gateway']?.includes('token-service'))).toBe(true);
    expect(await maps.get('no-keys', 'prod')).toBeUndefined();
    now = 30_000;
    await maps.get('with-keys', 'prod');
    expect(asked).toEqual(['with-keys', 'no-keys']);
    now = 61_000;
    await maps.get('with-keys', 'prod');
    expect(asked).toEqual(['with-keys', 'no-keys', 'with-keys']);
    expect(errors).toEqual([]);
  });

  it("puts alerts on different hosts and services connected in the sandbox's service map in one group, and an unconnected one apart", async () => {
    const account = `topology-${run}`;
    expect((await postJson(api.app, '/v1/accounts', { name: account, base_url: sandbox.url, ...KEYS }, auth)).status).toBe(201);
    let monitor = crypto.randomInt(1_000_000, 9_000_000);
    // Each alert says a different symptom: three services saying the same one at once join as one outage (links.ts).
    const post = async (service: string, hostname: string, symptom: string) => {
      const res = await postJson(
        api.app,
        `/v1/webhooks/receive/${account}`,
        {
          alert_status: 'Alert',
          monitor_id: monitor++,
          hostname,
          tags: ['env:prod', `service:${service}`],
          alert_title: `${service} ${symptom}`,
        },
        auth,
      );
      expect(res.status).toBe(202);
      return ((await res.json()) as { event_id: string }).event_id;
    };
    const eventIds = await Promise.all([
      post('claims-api', `claims-${run}`, 'error rate above 5%'),
      post('token-service', `token-${run}`, 'p99 latency above 2s'),
      post('hl7-bridge', `hl7-${run}`, 'queue depth above 1000'),
    ]);
    const groups = await eventually(async () => {
      const { rows } = await database.db.query<{ members: string[] }>(
        `SELECT array_agg(event_id::text ORDER BY event_id) AS members FROM incident_group_members
          WHERE event_id = ANY($1::bigint[]) GROUP BY group_id ORDER BY count(*) DESC`,
        [eventIds],
      );
      return rows.flatMap((g) => g.members).length === 3 && rows.map((g) => g.members);
    }, 60_000);
    expect(groups).toEqual([eventIds.slice(0, 2).sort((a, b) => Number(a) - Number(b)), [eventIds[2]]]);
  }, 120_000);
});
