// Cross-host and public reachability, measured for real: the check opens temporary listeners on
// the role ports of the server hosts (only where the port is free), connects from the peer hosts
// and from this machine, then stops the listeners. Everything is bounded in time.
//
// Tools on the servers: the listener is python3 (Debian, Ubuntu; /usr/libexec/platform-python on
// RHEL 9), which can listen on several ports in one process and answer both a raw probe and an
// HTTP GET. Without python the listener is not started and the result says "not tested". The
// prober is bash's /dev/tcp under coreutils' timeout, present on every supported distribution.
import {randomBytes} from 'node:crypto';
import {lookup} from 'node:dns/promises';
import {request} from 'node:http';
import type {Host} from '../hosts/host.js';
import {shellQuote} from '../hosts/quote.js';
import type {Plan} from '../plan/plan.js';
import type {Profile} from '../profile/schema.js';
import type {GatheredFacts} from './facts.js';
import {
  parseProbeOutput,
  publicResults,
  reachFlows,
  reachResults,
  type ListenerReport,
  type ProbeOutcome,
  type PublicFetch,
  type ReachFlow,
} from './checks/network.js';
import {describeListener, listenersOn, portIsFree} from './checks/ports.js';
import type {CheckResult} from './types.js';

const LISTENER_PY = `import select,socket,sys,time
end=time.time()+float(sys.argv[1]);tok=sys.argv[2].encode();ls={}
for a in sys.argv[3:]:
    p=int(a)
    try:
        try:
            s=socket.socket(socket.AF_INET6);s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)
        except OSError:
            s=socket.socket(socket.AF_INET)
        s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
        s.bind(('::' if s.family==socket.AF_INET6 else '0.0.0.0',p));s.listen(16);s.setblocking(False);ls[s]=p;print('bound',p)
    except OSError as e:
        print('busy',p,(e.strerror or str(e)).replace(' ','_'))
print('ready',flush=True)
while ls and time.time()<end:
    r,_,_=select.select(list(ls),[],[],max(0.05,min(1,end-time.time())))
    for s in r:
        try: c,a=s.accept()
        except OSError: continue
        try:
            c.settimeout(1)
            try: d=c.recv(2048)
            except OSError: d=b''
            if d[:4] in (b'GET ',b'HEAD'):
                c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n%s'%(len(tok),tok))
            else:
                c.sendall(tok+b'\\n')
            print('hit',ls[s],a[0],flush=True)
        except OSError: pass
        finally: c.close()
`;

/** Shell text that listens on `ports` for `seconds`, answering `token`; prints bound/busy lines, then "ready". */
export function listenerScript(token: string, ports: number[], seconds: number): string {
  const args = [String(seconds), token, ...ports.map(String)].map(shellQuote).join(' ');
  return `py=; for c in python3 /usr/libexec/platform-python; do command -v $c >/dev/null 2>&1 && { py=$c; break; }; done
[ -n "$py" ] || { echo 'nolistener'; exit 0; }
exec "$py" -c ${shellQuote(LISTENER_PY)} ${args}`;
}

/** Shell text that connects to every target at once and prints `probe ADDRESS PORT EXIT OUTPUT`. */
export function proberScript(targets: Array<{address: string; port: number}>, connectSeconds = 4): string {
  const calls = targets.map(t => `p ${shellQuote(t.address)} ${t.port} &`).join('\n');
  return `command -v bash >/dev/null 2>&1 || { for t in ${targets.map(t => shellQuote(`${t.address}:${t.port}`)).join(' ')}; do echo "probe \${t%:*} \${t##*:} 127 no_bash"; done; exit 0; }
p() {
  o=$(timeout ${connectSeconds + 2} bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 7; echo C; printf "PING\\n" >&3; timeout 2 head -c 200 <&3' "$1" "$2" 2>&1)
  c=$?
  printf 'probe %s %s %s %s\\n' "$1" "$2" "$c" "$(printf '%s' "$o" | tr '\\n' ' ' | tr -c 'A-Za-z0-9 ._:-' '_')"
}
${calls}
wait`;
}

export interface ReachOptions {
  profile: Profile;
  plan: Plan;
  hosts: Map<string, Host>;
  facts: Map<string, GatheredFacts>;
  skipPublicCheck?: boolean;
  /** The operator's view of a name (default: the system resolver). */
  resolveOperator?: (name: string) => Promise<string[]>;
  /** Seconds the temporary listeners live at most. */
  listenSeconds?: number;
}

interface RunningListener {
  host: string;
  ports: Map<number, ListenerReport>;
  stop: () => Promise<void>;
}

function token(): string {
  return `pfx${randomBytes(12).toString('hex')}`;
}

async function startListener(host: Host, asRoot: boolean, ports: number[], tok: string, seconds: number): Promise<RunningListener> {
  const controller = new AbortController();
  const reports = new Map<number, ListenerReport>();
  let buffer = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>(r => (readyResolve = r));
  const onStdout = (chunk: string) => {
    buffer += chunk;
    if (/^(ready|nolistener)$/m.test(buffer)) readyResolve();
  };
  const run = host
    .exec(listenerScript(tok, ports, seconds), {sudo: asRoot, signal: controller.signal, timeoutMs: (seconds + 5) * 1000, onStdout})
    .then(
      r => {
        buffer ||= r.stdout;
        if (!/^(ready|nolistener)$/m.test(buffer)) buffer += `\nfailed ${(r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`).replace(/\s+/g, '_')}`;
      },
      (e: Error) => {
        buffer += `\nfailed ${e.message.replace(/\s+/g, '_')}`;
      },
    )
    .finally(readyResolve);
  await Promise.race([ready, new Promise(r => setTimeout(r, seconds * 1000).unref())]);
  for (const port of ports) reports.set(port, {state: 'skipped', detail: 'the listener did not start'});
  for (const line of buffer.split('\n')) {
    const bound = /^bound (\d+)/.exec(line);
    if (bound) reports.set(Number(bound[1]), {state: 'bound'});
    const busy = /^busy (\d+) (.*)$/.exec(line);
    if (busy) reports.set(Number(busy[1]), {state: 'busy', detail: busy[2]!.replace(/_/g, ' ')});
    if (line === 'nolistener') for (const port of ports) reports.set(port, {state: 'skipped', detail: `no python3 on ${host.name} for a temporary listener`});
    const failed = /^failed (.*)$/.exec(line);
    if (failed) for (const port of ports) if (reports.get(port)?.state === 'skipped') reports.set(port, {state: 'skipped', detail: `the listener failed: ${failed[1]!.replace(/_/g, ' ')}`});
  }
  return {
    host: host.name,
    ports: reports,
    stop: async () => {
      controller.abort();
      await Promise.race([run, new Promise(r => setTimeout(r, 5000).unref())]);
    },
  };
}

/** GET http://FQDN:PORT/ at a given address, with the FQDN as Host; resolves with the body. */
export function fetchToken(address: string, port: number, fqdn: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      {host: address, port, path: '/.well-known/personium-setup-preflight', method: 'GET', headers: {Host: fqdn}, timeout: timeoutMs},
      res => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 4096) body += c;
        });
        res.on('end', () => resolve(body.trim()));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

export async function defaultResolve(name: string): Promise<string[]> {
  const answers = await lookup(name, {all: true});
  return [...new Set(answers.map(a => a.address))];
}

export interface ReachOutcome {
  results: CheckResult[];
  /** Operator answers for the names resolved for the public check (reused for the DNS results). */
  operatorAnswers: Record<string, string[] | Error>;
}

/** Runs the reachability measurements and returns their results (Reach-*, Public-*). */
export async function measureReach(options: ReachOptions, operatorNames: string[]): Promise<ReachOutcome> {
  const {profile, plan, hosts, facts} = options;
  const seconds = options.listenSeconds ?? 20;
  const resolve = options.resolveOperator ?? defaultResolve;
  const flows: ReachFlow[] = reachFlows(profile, plan);
  const notTested = new Map<string, string>();
  const listenWanted = new Map<string, Set<number>>();
  const busy = new Map<string, ListenerReport>();
  const usable = (name: string) => hosts.has(name) && facts.get(name)?.facts !== undefined;

  for (const flow of flows) {
    if (!usable(flow.from)) notTested.set(flow.id, `${flow.from} is not connected`);
    else if (!usable(flow.to)) notTested.set(flow.id, `${flow.to} is not connected`);
    else {
      const f = facts.get(flow.to)!.facts!;
      if (portIsFree(f, flow.port)) {
        if (!listenWanted.has(flow.to)) listenWanted.set(flow.to, new Set());
        listenWanted.get(flow.to)!.add(flow.port);
      } else {
        busy.set(`${flow.to} ${flow.port}`, {state: 'busy', detail: listenersOn(f, flow.port).map(describeListener).join('; ')});
      }
    }
  }

  const web = plan.hosts.find(h => h.roles.includes('web'));
  const publicWanted = !options.skipPublicCheck && profile.pattern !== 'try-it' && web !== undefined;
  const publicNotTested = new Map<number, string>();
  if (publicWanted) {
    for (const port of [443, 80]) {
      if (!usable(web.name)) publicNotTested.set(port, `${web.name} is not connected`);
      else {
        const f = facts.get(web.name)!.facts!;
        if (portIsFree(f, port)) {
          if (!listenWanted.has(web.name)) listenWanted.set(web.name, new Set());
          listenWanted.get(web.name)!.add(port);
        } else publicNotTested.set(port, `port ${port} on ${web.name} is held by ${listenersOn(f, port).map(describeListener).join('; ')}`);
      }
    }
  }

  // Names the operator resolves: the FQDN (and a wildcard name), in parallel with the listeners starting.
  const operatorAnswers: Record<string, string[] | Error> = {};
  const resolving = Promise.all(
    operatorNames.map(async name => {
      try {
        operatorAnswers[name] = await resolve(name);
      } catch (error) {
        operatorAnswers[name] = error as Error;
      }
    }),
  );

  const tokens = new Map<string, string>();
  const listeners = await Promise.all(
    [...listenWanted].map(([name, ports]) => {
      const tok = token();
      tokens.set(name, tok);
      return startListener(hosts.get(name)!, facts.get(name)!.asRoot, [...ports], tok, seconds);
    }),
  );
  try {
    const reports = new Map<string, ListenerReport>(busy);
    for (const l of listeners) for (const [port, report] of l.ports) reports.set(`${l.host} ${port}`, report);
    for (const flow of flows) {
      const report = reports.get(`${flow.to} ${flow.port}`);
      if (!notTested.has(flow.id) && report?.state === 'skipped') notTested.set(flow.id, report.detail ?? 'no listener');
    }

    const addressToken = new Map<string, string>();
    for (const h of plan.hosts) {
      const tok = tokens.get(h.name);
      if (tok) addressToken.set(h.privateAddress, tok);
    }
    const bySource = new Map<string, ReachFlow[]>();
    for (const flow of flows) {
      if (notTested.has(flow.id)) continue;
      if (!bySource.has(flow.from)) bySource.set(flow.from, []);
      bySource.get(flow.from)!.push(flow);
    }
    const probes = new Map<string, ProbeOutcome>();
    const probing = Promise.all(
      [...bySource].map(async ([from, list]) => {
        const targets = [...new Map(list.map(f => [`${f.address} ${f.port}`, {address: f.address, port: f.port}])).values()];
        try {
          const result = await hosts.get(from)!.exec(proberScript(targets), {timeoutMs: 20_000});
          const parsed = parseProbeOutput(result.stdout, address => addressToken.get(address));
          for (const [key, outcome] of parsed) probes.set(`${from}|${key}`, outcome);
        } catch (error) {
          for (const t of targets) probes.set(`${from}|${t.address} ${t.port}`, {result: 'error', detail: (error as Error).message});
        }
      }),
    );

    const fetches: PublicFetch[] = [];
    const publicFetching = (async () => {
      if (!publicWanted || !web) return;
      await resolving;
      const answers = operatorAnswers[profile.unit.fqdn];
      const webToken = tokens.get(web.name);
      await Promise.all(
        [443, 80].map(async port => {
          if (publicNotTested.has(port)) return;
          const report = reports.get(`${web.name} ${port}`);
          if (report?.state !== 'bound') {
            publicNotTested.set(port, report?.detail ?? 'no listener');
            return;
          }
          if (!Array.isArray(answers) || answers.length === 0) {
            fetches.push({port, ok: false, detail: `${profile.unit.fqdn} does not resolve on this machine${answers instanceof Error ? ` (${answers.message})` : ''}`});
            return;
          }
          try {
            const body = await fetchToken(answers[0]!, port, profile.unit.fqdn);
            fetches.push(body === webToken ? {port, ok: true, detail: 'token answered'} : {port, ok: false, detail: `something else answered at ${answers[0]} (not ${web.name}'s temporary listener)`});
          } catch (error) {
            fetches.push({port, ok: false, detail: `${answers[0]}:${port}: ${(error as Error).message}`});
          }
        }),
      );
    })();

    await Promise.all([probing, publicFetching, resolving]);
    // Probe outcomes are per source host: judge each flow with its own source's outcome.
    const results = flows.flatMap(flow => {
      const key = `${flow.address} ${flow.port}`;
      const outcome = probes.get(`${flow.from}|${key}`);
      return reachResults([flow], reports, new Map(outcome ? [[key, outcome]] : []), notTested);
    });
    if (publicWanted && web) results.push(...publicResults(profile.unit.fqdn, web.name, fetches, publicNotTested));
    return {results, operatorAnswers};
  } finally {
    await Promise.all(listeners.map(l => l.stop()));
  }
}
