// nginx from the distribution: the Personium site (TLS 1.2/1.3 on 443 as the catch-all default
// server, 80 redirected), the server certificate, `nginx -t` before every reload, then a wait for
// the unit to answer through it.
import {ensureDirectory, ensureFile, ensureService, run, waitForPort} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {UnitContext} from './render/context.js';
import {renderNginxSite} from './render/nginx.js';
import {ensureAbsent, waitForHttpAnswer, waitForServedCertificate} from './common.js';

/** Distribution sites that also claim `default_server` on port 80. */
const STOCK_SITES = ['/etc/nginx/sites-enabled/default'];

export async function nginxConfigTest(ctx: StepContext): Promise<void> {
  const test = await run(ctx, 'nginx -t 2>&1', {allowFail: true});
  if (test.code !== 0) throw new StepError('nginx rejects its configuration; nothing was reloaded', 'nginx -t', test.stdout.trim().split('\n').slice(-15));
}

export async function installNginx(ctx: StepContext, unit: UnitContext, tls: {serverCert: string; serverKey: string}): Promise<void> {
  let changed = false;
  for (const site of STOCK_SITES) changed = (await ensureAbsent(ctx, site)) || changed;
  await ensureDirectory(ctx, '/etc/nginx/personium', {mode: 0o750});
  changed = (await ensureFile(ctx, {path: PATHS.serverCert, content: tls.serverCert, mode: 0o644})) || changed;
  changed = (await ensureFile(ctx, {path: PATHS.serverKey, content: tls.serverKey, mode: 0o600})) || changed;
  await ensureDirectory(ctx, '/var/lib/personium-setup', {mode: 0o755});
  await ensureDirectory(ctx, PATHS.acmeWebroot, {mode: 0o755});
  changed = (await ensureFile(ctx, {path: PATHS.nginxSite, content: renderNginxSite(unit), mode: 0o644})) || changed;

  // SELinux (RHEL family) keeps nginx from connecting to Tomcat unless this boolean is on.
  const selinux = await run(ctx, 'command -v getenforce >/dev/null && getenforce && getsebool httpd_can_network_connect', {allowFail: true});
  if (selinux.code === 0 && /^Enforcing/m.test(selinux.stdout) && /--> off/.test(selinux.stdout)) {
    ctx.changed('SELinux: httpd_can_network_connect on');
    if (!ctx.checkOnly) await run(ctx, 'setsebool -P httpd_can_network_connect 1', {timeoutMs: 300_000});
  }
  const active = (await run(ctx, 'systemctl is-active nginx', {allowFail: true})).stdout.trim() === 'active';
  if (changed && !ctx.checkOnly) await nginxConfigTest(ctx);
  await ensureService(ctx, {name: 'nginx'});
  if (changed && active) {
    ctx.changed('nginx reloaded');
    if (!ctx.checkOnly) {
      await run(ctx, 'systemctl reload nginx');
      await waitForServedCertificate(ctx, unit.fqdn);
    }
  }
  await waitForPort(ctx, '127.0.0.1', 443, 60);
  await waitForHttpAnswer(ctx, `https://${unit.fqdn}/`, 120, `-k --resolve ${q(`${unit.fqdn}:443:127.0.0.1`)}`);
}
