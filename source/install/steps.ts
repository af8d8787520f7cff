// The install run as executor steps: one step per plan step per host, in the plan's order on
// each host, with `needs` carrying the boot order across hosts:
//   memcached, Elasticsearch, ActiveMQ (and the shared storage) → Tomcat → nginx → bootstrap.
// Packages are installed by each host's first steps (os.prepare, jdk), so hosts work in
// parallel until a host has to wait for another.
import type {StepContext, StepDefinition} from '../executor/types.js';
import {privateAddressOf, type HostPlan, type Plan} from '../plan/plan.js';
import type {Profile} from '../profile/schema.js';
import {readSecretRef} from '../cli/connect-profile.js';
import {installActiveMq} from '../steps/activemq.js';
import {ensureLetsEncryptCertificate, letsEncryptSettings} from '../steps/letsencrypt.js';
import {ADMIN_ACCOUNT, bootstrapUnitAdmin, readBootstrapMarker, unitUrl, writeBootstrapMarker, type BootstrapTarget} from '../steps/bootstrap.js';
import {installElasticsearch} from '../steps/elasticsearch.js';
import {installExtensions, type ExtensionsPlan} from '../steps/extensions.js';
import {installDistributionJdk, installJdkTarball, tarballJavaHome} from '../steps/jdk.js';
import {installMemcached} from '../steps/memcached.js';
import {installNginx} from '../steps/nginx.js';
import {nfsMount, nfsStorage, sameServiceUser} from '../steps/nfs.js';
import {osPrepare, USERS} from '../steps/os-prepare.js';
import {ensureUnitConfig, installPersonium} from '../steps/personium.js';
import {installTomcat, startTomcat, TOMCAT_SERVICE} from '../steps/tomcat.js';
import {markRestart, waitForHttpAnswer, warn} from '../steps/common.js';
import {LOOPBACK} from '../steps/render/context.js';
import {shellQuote as q} from '../hosts/quote.js';
import {artifact, firstApHost, hostsWithRole, renderContext, type InstallDeps} from './context.js';

/** Steps whose services must be up before any Tomcat starts. */
export const BEFORE_TOMCAT = ['memcached', 'nfs.storage', 'elasticsearch', 'activemq'];

const keyOf = (host: string, id: string) => `${host}:${id}`;

/** The AP step after which Tomcat runs (the last of tomcat, personium, extensions on that host). */
export function tomcatStartStep(host: HostPlan): string | undefined {
  const ids = host.steps.map(s => s.id).filter(id => id === 'tomcat' || id === 'personium' || id === 'extensions');
  return ids.at(-1);
}

/** Cross-host needs of one step: the boot order. */
export function needsOf(plan: Plan, host: HostPlan, id: string): string[] {
  const all = (ids: string[]) => plan.hosts.flatMap(h => h.steps.filter(s => ids.includes(s.id)).map(s => keyOf(h.name, s.id)));
  const tomcatStarted = () => plan.hosts.flatMap(h => (tomcatStartStep(h) ? [keyOf(h.name, tomcatStartStep(h)!)] : []));
  let needs: string[] = [];
  if (id === 'tomcat') needs = all(BEFORE_TOMCAT);
  else if (id === 'nginx') needs = tomcatStarted();
  else if (id === 'letsencrypt') needs = all(['nginx']);
  else if (id === 'bootstrap') needs = [...all(['nginx', 'letsencrypt']), ...tomcatStarted()];
  // Steps of the same host already run in order: keep only needs on other hosts.
  return [...new Set(needs)].filter(key => !key.startsWith(`${host.name}:`) || !precedesOnHost(host, key.slice(host.name.length + 1), id));
}

function precedesOnHost(host: HostPlan, earlier: string, later: string): boolean {
  const ids = host.steps.map(s => s.id);
  return ids.indexOf(earlier) !== -1 && ids.indexOf(earlier) < ids.indexOf(later);
}

function extensionsPlan(deps: InstallDeps): ExtensionsPlan {
  const profile = deps.profile;
  const ext = profile.extensions;
  const jars = Object.keys(ext).map(name => ({name, archive: artifact(deps, `extension:${name}`)}));
  const mail = ext.mailsender;
  const slack = ext['slack-messenger'];
  return {
    jars,
    mailsender: mail ? {smtpHost: mail.smtpHost, smtpPort: mail.smtpPort, smtpUser: mail.smtpUser, smtpPassword: mail.smtpPassword ? readSecretRef(mail.smtpPassword) : undefined, tls: mail.tls} : undefined,
    slack: slack ? {token: slack.token ? readSecretRef(slack.token) : undefined, channel: slack.channel, proxyHost: slack.proxyHost, proxyPort: slack.proxyPort} : undefined,
    pluginJars: profile.authPlugins.jars,
  };
}

function webAddress(profile: Profile, forHost: string): string {
  if (profile.hosts.length === 1) return LOOPBACK;
  const web = hostsWithRole(profile, 'web')[0];
  if (!web) throw new Error('no host has the web role');
  return web.name === forHost ? LOOPBACK : (web.privateAddress ?? web.address);
}

function webPrivateAddress(profile: Profile): string {
  const web = hostsWithRole(profile, 'web')[0];
  if (!web) throw new Error('no host has the web role');
  return profile.hosts.length === 1 ? LOOPBACK : (web.privateAddress ?? web.address);
}

/** What one plan step does on its host. */
function stepBody(deps: InstallDeps, host: HostPlan, id: string): (ctx: StepContext) => Promise<void> {
  const set = deps.versionSet;
  const startsTomcat = tomcatStartStep(host) === id;
  const withStart = (body: (ctx: StepContext) => Promise<void>) => async (ctx: StepContext) => {
    await body(ctx);
    if (startsTomcat) await startTomcat(ctx, await renderContext(deps, ctx));
  };
  switch (id) {
    case 'os.prepare':
      return async ctx => {
        const unit = await renderContext(deps, ctx);
        await osPrepare(ctx, {
          roles: host.roles,
          ports: host.ports,
          peers: deps.profile.hosts.filter(h => h.name !== host.name).map(privateAddressOf),
          nfsServer: host.roles.includes('nfs') && unit.nfs.clients.length > 0,
          nfsClient: unit.nfs.mountHere,
          unit,
          webAddress: webPrivateAddress(deps.profile),
        });
      };
    case 'jdk':
      return deps.profile.artifacts.jdk === 'tarball'
        ? ctx => installJdkTarball(ctx, artifact(deps, 'jdk'), tarballJavaHome(set))
        : ctx => installDistributionJdk(ctx, [ctx.os.family === 'debian' ? set.jdk.packages.apt : set.jdk.packages.dnf]);
    case 'memcached':
      return async ctx => installMemcached(ctx, await renderContext(deps, ctx));
    case 'nfs.storage':
      return async ctx => nfsStorage(ctx, await renderContext(deps, ctx));
    case 'nfs.mount':
      return async ctx => {
        const unit = await renderContext(deps, ctx);
        const server = unit.nfs.server && deps.hosts.get(unit.nfs.server.name);
        if (server) await sameServiceUser(ctx, server, USERS.personium.name);
        await nfsMount(ctx, unit);
      };
    case 'elasticsearch':
      return async ctx => installElasticsearch(ctx, await renderContext(deps, ctx), artifact(deps, 'elasticsearch'));
    case 'activemq':
      return async ctx => installActiveMq(ctx, await renderContext(deps, ctx), artifact(deps, 'activemq'));
    case 'tomcat':
      return withStart(async ctx => installTomcat(ctx, await renderContext(deps, ctx), artifact(deps, 'tomcat')));
    case 'personium':
      return withStart(async ctx =>
        installPersonium(ctx, await renderContext(deps, ctx), {core: artifact(deps, 'personium-core'), engine: artifact(deps, 'personium-engine')}, {
          ...deps.tls,
          trustServerCert: deps.tls.selfSignedServer ? deps.tls.serverCert : undefined,
        }),
      );
    case 'extensions':
      return withStart(ctx => installExtensions(ctx, extensionsPlan(deps)));
    case 'nginx':
      return async ctx => installNginx(ctx, await renderContext(deps, ctx), deps.tls);
    case 'letsencrypt':
      // nginx runs first with a placeholder; certbot's deploy hook puts the real certificate in.
      return async ctx => {
        const outcome = await ensureLetsEncryptCertificate(ctx, {...letsEncryptSettings(deps.profile), confirmTxt: deps.confirmTxt});
        ctx.log(`certificate: ${outcome.reason}; ${outcome.renewal}`);
      };
    case 'bootstrap':
      return ctx => bootstrap(ctx, deps, host);
    default:
      // A plan step without a body is a bug, not a step that passed.
      throw new Error(`the plan has a step "${id}" that this version cannot run`);
  }
}

/** Bootstrap, then (unless the profile keeps it) the master token out of every AP host's config. */
async function bootstrap(ctx: StepContext, deps: InstallDeps, host: HostPlan): Promise<void> {
  const profile = deps.profile;
  const target: BootstrapTarget = {
    fqdn: profile.unit.fqdn,
    cellUrlMode: profile.unit.cellUrlMode,
    cell: profile.security.unitAdminCell,
    webAddress: webAddress(profile, host.name),
    masterToken: deps.secrets.masterToken,
  };
  const done = deps.bootstrapped || (await readBootstrapMarker(ctx));
  if (!done) {
    if (ctx.checkOnly) {
      ctx.changed(`unit admin cell ${target.cell} and account ${ADMIN_ACCOUNT} created`);
      return;
    }
    const result = await bootstrapUnitAdmin(ctx, target, deps.adminPassword);
    if (result.newPassword) deps.onAdminPassword?.(result.newPassword);
    if (!result.verified) warn(ctx, `account ${ADMIN_ACCOUNT} existed and no saved password was found in ${deps.adminPassword.path}; it was not changed`);
    await writeBootstrapMarker(ctx, target);
  } else {
    // Already bootstrapped: the unit still answers through nginx.
    await waitForHttpAnswer(ctx, unitUrl(target.fqdn), 120, `-k --resolve ${q(`${target.fqdn}:443:${target.webAddress}`)}`, {fromCore: true});
  }
  // The token was needed for the calls above; now it goes (or stays, when the profile keeps it).
  const keep = !profile.security.disableMasterToken;
  for (const ap of hostsWithRole(profile, 'ap')) {
    const apHost = deps.hosts.get(ap.name);
    const os = deps.os.get(ap.name);
    if (!apHost || !os) throw new Error(`no connection to ${ap.name}`);
    const apCtx: StepContext = ap.name === ctx.host.name ? ctx : {...ctx, host: apHost, os, memo: new Map(), log: line => ctx.log(`${ap.name}: ${line}`), changed: what => ctx.changed(`${ap.name}: ${what}`)};
    const unit = await renderContext(deps, apCtx, {hostName: ap.name, masterToken: keep});
    if (await ensureUnitConfig(apCtx, unit)) await markRestart(apCtx, TOMCAT_SERVICE);
    await startTomcat(apCtx, unit);
  }
  if (!keep && !ctx.checkOnly) {
    // Through nginx again, once Tomcat is back.
    await waitForHttpAnswer(ctx, unitUrl(target.fqdn), 120, `-k --resolve ${q(`${target.fqdn}:443:${target.webAddress}`)}`, {fromCore: true});
  }
}

export function installSteps(profile: Profile, plan: Plan, deps: InstallDeps): StepDefinition[] {
  const first = firstApHost(profile).name;
  const steps: StepDefinition[] = [];
  for (const host of plan.hosts) {
    for (const step of host.steps) {
      if (step.id === 'bootstrap' && host.name !== first) continue;
      steps.push({
        key: keyOf(host.name, step.id),
        host: host.name,
        id: step.id,
        title: step.title,
        needs: needsOf(plan, host, step.id),
        // Package installs and downloads may meet a dropped connection; every step is idempotent.
        // An ACME order is not retried blindly: a retry rehearses against staging first.
        retryable: step.id !== 'letsencrypt',
        run: stepBody(deps, host, step.id),
      });
    }
  }
  return steps;
}
