// The install step graph: one step per plan step per host, the boot order across hosts in
// `needs` (memcached, Elasticsearch, ActiveMQ → Tomcat → nginx → bootstrap), and no deadlock
// when the executor runs it (steps replaced by no-ops that record the order).
import {describe, expect, it} from 'vitest';
import {execute} from '../../source/executor/execute.js';
import type {StepDefinition} from '../../source/executor/types.js';
import type {Host} from '../../source/hosts/host.js';
import {installSteps, needsOf, tomcatStartStep} from '../../source/install/steps.js';
import type {InstallDeps} from '../../source/install/context.js';
import {loadAnswersFile, validateAnswers, type Answers} from '../../source/profile/answers.js';
import {buildPlan} from '../../source/plan/plan.js';
import type {Profile} from '../../source/profile/schema.js';

const examples = new URL('../../presets/examples/', import.meta.url).pathname;

async function example(name: string, change: (answers: Answers) => Answers = a => a): Promise<Profile> {
  const answers = change(await loadAnswersFile(`${examples}${name}.yaml`));
  return validateAnswers(answers, name).profile;
}

function graph(profile: Profile): StepDefinition[] {
  const plan = buildPlan(profile);
  return installSteps(profile, plan, {profile, plan} as unknown as InstallDeps);
}

/** Run the graph with no-op steps; returns the order in which steps finished. */
async function runOrder(steps: StepDefinition[]): Promise<string[]> {
  const order: string[] = [];
  const names = [...new Set(steps.map(s => s.host))];
  const host = (name: string): Host => ({name, address: name, exec: async () => ({code: 0, stdout: '', stderr: ''}), upload: async () => {}, readFile: async () => Buffer.alloc(0), close: async () => {}});
  // Hosts progress at different speeds, so only `needs` can keep the order.
  const delay = new Map(names.map((n, i) => [n, (names.length - i) * 3]));
  const noops = steps.map(s => ({
    ...s,
    run: async () => {
      await new Promise(resolve => setTimeout(resolve, delay.get(s.host)));
      order.push(s.key);
    },
  }));
  const {failed} = await execute(noops, {
    hosts: new Map(names.map(n => [n, host(n)])),
    os: new Map(names.map(n => [n, {family: 'debian' as const, id: 'debian', versionId: '12'}])),
    log: () => {},
  });
  expect(failed).toBe(false);
  return order;
}

describe('install step graph', () => {
  it('small: one host, the plan order, Tomcat started by the last AP step, nothing waits on another host', async () => {
    const profile = await example('small');
    const steps = graph(profile);
    expect(steps.map(s => s.id)).toEqual(['os.prepare', 'jdk', 'memcached', 'nfs.storage', 'elasticsearch', 'activemq', 'tomcat', 'personium', 'extensions', 'nginx', 'bootstrap']);
    expect(steps.every(s => s.key === `server1:${s.id}` && s.needs.length === 0)).toBe(true);
    expect(tomcatStartStep(buildPlan(profile).hosts[0]!)).toBe('extensions');
    expect(await runOrder(steps)).toEqual(steps.map(s => s.key));
  });

  it('small without extensions: Tomcat starts after the personium step', async () => {
    const profile = await example('small', a => ({...a, extensions: {}, authPlugins: {}}));
    expect(graph(profile).map(s => s.id)).not.toContain('extensions');
    expect(tomcatStartStep(buildPlan(profile).hosts[0]!)).toBe('personium');
  });

  it('medium-large: Tomcat waits for Elasticsearch on its host, nginx for Tomcat, bootstrap for nginx', async () => {
    const profile = await example('medium-large');
    const steps = graph(profile);
    const byKey = new Map(steps.map(s => [s.key, s]));
    expect(byKey.get('ap1:tomcat')!.needs).toEqual(['es1:elasticsearch']);
    expect(byKey.get('web1:nginx')!.needs).toEqual(['ap1:extensions']);
    expect(byKey.get('ap1:bootstrap')!.needs).toEqual(['web1:nginx', 'web1:letsencrypt']);
    // Package work starts everywhere at once.
    for (const h of ['web1', 'ap1', 'es1']) expect(byKey.get(`${h}:os.prepare`)!.needs).toEqual([]);
    const order = await runOrder(steps);
    const at = (key: string) => order.indexOf(key);
    expect(at('es1:elasticsearch')).toBeLessThan(at('ap1:tomcat'));
    expect(at('ap1:memcached')).toBeLessThan(at('ap1:tomcat'));
    expect(at('ap1:activemq')).toBeLessThan(at('ap1:tomcat'));
    expect(at('ap1:extensions')).toBeLessThan(at('web1:nginx'));
    expect(at('web1:nginx')).toBeLessThan(at('ap1:bootstrap'));
    expect(order.at(-1)).toBe('ap1:bootstrap');
  });

  it('storage elsewhere and two AP servers: every Tomcat waits for the NFS export, nginx for every Tomcat, one bootstrap', async () => {
    const profile = await example('medium-large', a => ({
      ...a,
      bastion: undefined,
      hosts: [
        {name: 'web1', address: '10.0.1.11', roles: ['web']},
        {name: 'ap1', address: '10.0.2.11', roles: ['ap']},
        {name: 'ap2', address: '10.0.2.12', roles: ['ap', 'mq']},
        {name: 'store1', address: '10.0.4.11', roles: ['nfs']},
        {name: 'es1', address: '10.0.3.11', roles: ['es']},
        {name: 'es2', address: '10.0.3.12', roles: ['es']},
        {name: 'es3', address: '10.0.3.13', roles: ['es']},
      ],
    }));
    const steps = graph(profile);
    const byKey = new Map(steps.map(s => [s.key, s]));
    expect(steps.filter(s => s.id === 'bootstrap').map(s => s.key)).toEqual(['ap1:bootstrap']);
    expect(byKey.get('ap1:nfs.mount')).toBeDefined();
    expect(byKey.get('ap1:tomcat')!.needs.sort()).toEqual(['ap2:activemq', 'es1:elasticsearch', 'es2:elasticsearch', 'es3:elasticsearch', 'store1:memcached', 'store1:nfs.storage']);
    expect(byKey.get('web1:nginx')!.needs.sort()).toEqual(['ap1:extensions', 'ap2:extensions']);
    const order = await runOrder(steps);
    const at = (key: string) => order.indexOf(key);
    for (const ap of ['ap1', 'ap2']) {
      expect(at('store1:nfs.storage')).toBeLessThan(at(`${ap}:tomcat`));
      expect(at(`${ap}:nfs.mount`)).toBeLessThan(at(`${ap}:tomcat`));
      expect(at(`${ap}:extensions`)).toBeLessThan(at('web1:nginx'));
    }
    expect(order.at(-1)).toBe('ap1:bootstrap');
  });
});

describe("Let's Encrypt in the step graph", () => {
  it('orders the certificate after nginx and before the bootstrap', () => {
    const profile = validateAnswers(
      {
        pattern: 'medium-large',
        hosts: [
          {name: 'web1', address: '10.0.0.1', roles: ['web']},
          {name: 'ap1', address: '10.0.0.2', roles: ['ap', 'mq', 'nfs']},
          {name: 'es1', address: '10.0.0.3', roles: ['es']},
        ],
        unit: {fqdn: 'unit.example.org', cellUrlMode: 'path-based'},
        https: {mode: 'letsencrypt', email: 'ops@example.org'},
      },
      't',
    ).profile;
    const plan = buildPlan(profile);
    const web = plan.hosts.find(h => h.name === 'web1')!;
    const ap = plan.hosts.find(h => h.name === 'ap1')!;
    expect(web.steps.map(s => s.id)).toEqual(['os.prepare', 'nginx', 'letsencrypt']);
    expect(web.steps.at(-1)!.title).toMatch(/http-01/);
    expect(needsOf(plan, ap, 'bootstrap')).toContain('web1:letsencrypt');
  });
});
