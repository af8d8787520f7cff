import {readdirSync} from 'node:fs';
import {describe, expect, it} from 'vitest';
import {loadAnswersFile, mergeAnswers, presetAnswers, validateAnswers} from '../../source/profile/answers.js';
import {PATTERNS} from '../../source/profile/schema.js';
import {findVersionSet, patternPresets, versionMatrix} from '../../source/presets.js';
import {buildPlan} from '../../source/plan/plan.js';
import {renderPlanText} from '../../source/plan/render-plan.js';

const examplesDir = new URL('../../presets/examples/', import.meta.url);
const examples = readdirSync(examplesDir).filter(f => f.endsWith('.yaml'));

describe('presets', () => {
  it('the version matrix validates and keeps the official pin and the newest set', () => {
    const matrix = versionMatrix();
    expect(findVersionSet('latest')?.id).toBe('1.8.3');
    const pin = findVersionSet('1.8.0')!;
    expect(pin.core.sha256).toBe('1457ed813f079ee34ea12835b892543189f84a8a6819b7eff011d41b5b87c65d');
    expect(pin.elasticsearch).toMatchObject({version: '6.6.1', protocol: 'transport', port: 9300});
    const latest = findVersionSet('1.8.3')!;
    expect(latest.elasticsearch).toMatchObject({protocol: 'rest', port: 9200});
    expect(latest.elasticsearch.version).toMatch(/^7\.17\./);
    expect(latest.tomcat.version).toMatch(/^9\.0\./);
    // CVE-2023-46604 is fixed from 5.15.16 / 5.16.7 / 5.17.6 / 5.18.3 on.
    for (const set of matrix.sets) {
      const [major, minor, patch] = set.activemq.version.split('.').map(Number) as [number, number, number];
      expect(major === 5 && minor >= 18 && (minor > 18 || patch >= 3)).toBe(true);
    }
  });

  it.each(PATTERNS)('pattern %s: its defaults are valid profile answers once a host and FQDN are given', pattern => {
    const answers = mergeAnswers(presetAnswers(pattern), {
      unit: {fqdn: 'unit.example.test'},
      hosts: patternPresets()
        .find(p => p.id === pattern)!
        .hosts.map((h, i) => ({...h, address: pattern === 'try-it' ? 'localhost' : `10.0.0.${i + 1}`})),
    });
    expect(() => validateAnswers(answers, pattern)).not.toThrow();
  });

  it('there is an example for every pattern', () => {
    expect(examples.sort()).toEqual(['medium-large.yaml', 'small.yaml', 'try-it.yaml']);
  });
});

describe.each(examples)('example %s', file => {
  it('validates and gives a plan', async () => {
    const answers = await loadAnswersFile(new URL(file, examplesDir).pathname);
    const {profile, warnings} = validateAnswers(mergeAnswers(presetAnswers(answers.pattern as never), answers), file);
    expect(warnings).toEqual([]);
    const plan = buildPlan(profile);
    expect(plan.hosts.length).toBe(profile.hosts.length);
    expect(renderPlanText(plan)).toContain(plan.unitUrl);
  });
});

describe('plan', () => {
  const small = async () => {
    const a = await loadAnswersFile(new URL('small.yaml', examplesDir).pathname);
    return validateAnswers(a, 'small').profile;
  };
  const mediumLarge = async () => validateAnswers(await loadAnswersFile(new URL('medium-large.yaml', examplesDir).pathname), 'ml').profile;

  it('orders steps by boot order on one server and binds internal services to loopback', async () => {
    const plan = buildPlan(await small());
    const ids = plan.hosts[0]!.steps.map(s => s.id);
    expect(ids.indexOf('memcached')).toBeLessThan(ids.indexOf('tomcat'));
    expect(ids.indexOf('elasticsearch')).toBeLessThan(ids.indexOf('tomcat'));
    expect(ids.indexOf('activemq')).toBeLessThan(ids.indexOf('tomcat'));
    expect(ids.indexOf('tomcat')).toBeLessThan(ids.indexOf('nginx'));
    expect(ids.at(-1)).toBe('bootstrap');
    const ports = plan.hosts[0]!.ports;
    for (const p of ports.filter(p => p.port !== 443 && p.port !== 80)) expect(p.bind).toBe('127.0.0.1');
    expect(ports.find(p => p.port === 443)).toMatchObject({bind: '0.0.0.0', exposure: 'public'});
    expect(plan.bootOrder.map(g => g.phase)).toEqual(['data', 'app', 'web']);
    expect(plan.dns).toEqual([
      {name: 'personium.example.com', type: 'A', value: '192.0.2.10'},
      {name: '*.personium.example.com', type: 'A', value: '192.0.2.10'},
    ]);
    expect(plan.certificates[0]!.names).toEqual(['personium.example.com', '*.personium.example.com']);
    expect(plan.extensions).toEqual([
      {name: 'httpclient', version: '1.2.0'},
      {name: 'mailsender', version: '1.5.4'},
    ]);
  });

  it('spreads roles over servers with private binds and an NFS mount on the AP host', async () => {
    const plan = buildPlan(await mediumLarge());
    const byName = Object.fromEntries(plan.hosts.map(h => [h.name, h]));
    expect(byName.web1!.steps.map(s => s.id)).toEqual(['os.prepare', 'nginx', 'letsencrypt']);
    // Elasticsearch 7 runs on the JDK in its own tarball: no Java step on an ES-only server.
    expect(byName.es1!.steps.map(s => s.id)).toEqual(['os.prepare', 'elasticsearch']);
    expect(byName.ap1!.steps.find(s => s.id === 'jdk')?.title).toBe('Install Java 17 (openjdk-17-jre-headless / java-17-openjdk-headless)');
    expect(byName.es1!.ports.find(p => p.port === 9200)).toMatchObject({bind: '10.0.3.11', exposure: 'private'});
    // NFS and AP share ap1 here, so no mount is needed.
    expect(byName.ap1!.steps.map(s => s.id)).not.toContain('nfs.mount');
    expect(plan.bootOrder[0]!.services).toEqual(
      expect.arrayContaining([{host: 'es1', service: 'elasticsearch'}, {host: 'ap1', service: 'activemq'}]),
    );
    expect(plan.certificates[0]!.source).toMatch(/Let's Encrypt \(dns-01/);
  });

  it('takes Java from the Temurin tarball when artifacts.jdk says so, and gives Elasticsearch 6 servers Java too', async () => {
    const profile = await mediumLarge();
    profile.artifacts.jdk = 'tarball';
    const ap1 = buildPlan(profile).hosts.find(h => h.name === 'ap1')!;
    expect(ap1.steps.find(s => s.id === 'jdk')).toMatchObject({
      title: 'Install Java 17 (Temurin 17.0.18+8 tarball in /opt/jdk-17.0.18+8)',
      files: ['/opt/jdk-17.0.18+8/', '/opt/jdk'],
    });
    profile.versionSet = '1.8.0';
    expect(buildPlan(profile).hosts.find(h => h.name === 'es1')!.steps.map(s => s.id)).toEqual(['os.prepare', 'jdk', 'elasticsearch']);
  });

  it('adds an NFS export and mount when storage is on another server', async () => {
    const profile = await mediumLarge();
    profile.hosts = [
      {...profile.hosts[0]!},
      {...profile.hosts[1]!, roles: ['ap', 'mq']},
      {...profile.hosts[2]!, roles: ['es', 'nfs']},
    ];
    const plan = buildPlan(profile);
    expect(plan.hosts[1]!.steps.map(s => s.id)).toContain('nfs.mount');
    expect(plan.hosts[2]!.steps.find(s => s.id === 'nfs.storage')?.title).toMatch(/export \/personium_nfs to ap1/);
  });
});
