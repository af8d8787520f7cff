import {cleanup, render} from 'ink-testing-library';
import {afterEach, describe, expect, it} from 'vitest';
import type {Plan} from '../../source/plan/plan.js';
import {PlanView, type PlanViewData} from '../../source/ui/components/PlanView.js';
import {renderPlanView, showPlanView} from '../../source/ui/ink-prompter.js';
import {fakeTerminal, tick} from './helpers.js';

afterEach(() => {
  cleanup();
});

// A plan from the plan builder can be shown as it is.
const fromBuilder = (plan: Plan): PlanViewData => plan;
void fromBuilder;

const sample: PlanViewData = {
  unitUrl: 'https://unit.example.org/',
  pattern: 'small',
  hosts: [
    {
      name: 'web1',
      address: '203.0.113.10',
      privateAddress: '10.0.0.10',
      roles: ['web', 'ap'],
      steps: [
        {id: 'os.prepare', title: 'Prepare the OS'},
        {id: 'tomcat', title: 'Tomcat and the Personium core'},
        {id: 'nginx', title: 'nginx reverse proxy'},
      ],
      services: ['tomcat', 'nginx'],
      ports: [
        {port: 443, service: 'nginx', bind: '0.0.0.0', exposure: 'public'},
        {port: 8080, service: 'tomcat', bind: '127.0.0.1'},
      ],
      files: ['/etc/nginx/conf.d/personium.conf', '/opt/tomcat/conf/server.xml'],
    },
    {
      name: 'data1',
      address: '10.0.0.20',
      roles: ['es', 'mq'],
      steps: [{id: 'elasticsearch', title: 'Elasticsearch'}],
      services: ['elasticsearch'],
      ports: [{port: 9200, service: 'elasticsearch', bind: '10.0.0.20'}],
      files: [],
    },
  ],
  certificates: [{label: 'server', names: ['unit.example.org', '*.unit.example.org'], source: 'self-signed'}],
  warnings: ['The unit certificate is self-signed.'],
};

describe('PlanView', () => {
  it('draws one box per host with roles, numbered steps in order, services and ports', async () => {
    const r = render(<PlanView plan={sample} />);
    await tick();
    const frame = r.lastFrame() ?? '';
    expect(frame).toContain('Plan · https://unit.example.org/ (small)');
    expect(frame).toContain('web1 (203.0.113.10, private 10.0.0.10)');
    expect(frame).toContain('data1 (10.0.0.20)');
    expect(frame).toMatch(/roles\s+web, ap/);
    expect(frame).toMatch(/1\. Prepare the OS[\s\S]*2\. Tomcat and the Personium core[\s\S]*3\. nginx reverse proxy/);
    expect(frame).toMatch(/services\s+tomcat, nginx/);
    expect(frame).toContain('443 nginx on 0.0.0.0 (public)');
    expect(frame).toContain('8080 tomcat on 127.0.0.1');
    expect(frame).toContain('2 files written');
    expect(frame).toContain('server: unit.example.org, *.unit.example.org (self-signed)');
    expect(frame).toContain('⚠ The unit certificate is self-signed.');
    // Boxes: two rounded borders, the first host's before the second's.
    expect(frame.match(/╭/g)).toHaveLength(2);
    expect(frame.indexOf('web1')).toBeLessThan(frame.indexOf('data1'));
    // The second host has no files: no files row in its box.
    expect(frame.slice(frame.indexOf('data1'))).not.toContain('files');
  });

  it('prints as text to the given stdout, one column narrower than it, with nothing left mounted', () => {
    const term = fakeTerminal();
    showPlanView(sample, {stdout: term.streams.stdout});
    const out = term.stdout.text();
    expect(out).toBe(renderPlanView(sample, 99));
    expect(out).toContain('web1 (203.0.113.10, private 10.0.0.10)');
    expect(Math.max(...out.split('\n').map(line => line.length))).toBeLessThanOrEqual(100);
    expect(term.stdin.listenerCount('readable')).toBe(0);
  });
});
