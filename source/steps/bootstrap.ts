// Bootstrap of the unit admin cell through the unit's own API (over nginx, as a client would):
// the cell, its account, the roles UnitAdmin and CellContentsAdmin and the account's link to
// CellContentsAdmin. Idempotent: what exists is detected, not an error. The account password is
// saved on the operator machine before the account is made, so a cut connection cannot lose it.
import {randomString} from './unit-secrets.js';
import {run} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {STATE_DIR} from './common.js';

export const BOOTSTRAP_MARKER = `${STATE_DIR}/bootstrap.json`;
export const ADMIN_ACCOUNT = 'unitadmin';

export interface BootstrapTarget {
  fqdn: string;
  cellUrlMode: 'per-cell' | 'path-based';
  cell: string;
  /** Address of the web server as seen from this host (nginx). */
  webAddress: string;
  masterToken: string;
}

export function cellUrl(target: Pick<BootstrapTarget, 'fqdn' | 'cellUrlMode' | 'cell'>): string {
  return target.cellUrlMode === 'per-cell' ? `https://${target.cell}.${target.fqdn}/` : `https://${target.fqdn}/${target.cell}/`;
}

export function unitUrl(fqdn: string): string {
  return `https://${fqdn}/`;
}

/** A password core accepts (its default policy: 6 to 32 of [A-Za-z0-9-_!$*=^`{|}~.@]). */
export function generateAdminPassword(): string {
  return randomString(24);
}

interface ApiAnswer {
  status: number;
  body: string;
}

/** A value inside a curl config file (double quotes, backslash escapes). */
function curlValue(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * One API call with curl on the host. Everything, the token and the password included, goes in
 * a curl config on stdin, so no secret is on a command line or in the log.
 */
async function api(ctx: StepContext, target: BootstrapTarget, method: string, url: string, options: {headers?: Record<string, string>; body?: string; form?: boolean; auth?: boolean} = {}): Promise<ApiAnswer> {
  const host = new URL(url).hostname;
  const lines = [
    `url = ${curlValue(url)}`,
    `request = ${curlValue(method)}`,
    `resolve = ${curlValue(`${host}:443:${target.webAddress}`)}`,
    'insecure',
    'silent',
    'show-error',
    `max-time = 60`,
    `write-out = ${curlValue('\n%{http_code}')}`,
    `header = ${curlValue('Accept: application/json')}`,
  ];
  if (options.auth !== false) lines.push(`header = ${curlValue(`Authorization: Bearer ${target.masterToken}`)}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`header = ${curlValue(`${name}: ${value}`)}`);
  if (options.body !== undefined) {
    lines.push(`header = ${curlValue(`Content-Type: ${options.form ? 'application/x-www-form-urlencoded' : 'application/json'}`)}`);
    lines.push(`data-binary = ${curlValue(options.body)}`);
  }
  ctx.log(`${method} ${url}`);
  const result = await ctx.host.exec('curl --config -', {stdin: `${lines.join('\n')}\n`, timeoutMs: 90_000, signal: ctx.signal});
  const text = result.stdout;
  const cut = text.lastIndexOf('\n');
  const status = Number.parseInt(text.slice(cut + 1).trim(), 10);
  if (result.code !== 0 || !Number.isFinite(status) || status === 0) {
    throw new StepError(`${method} ${url} failed: ${result.stderr.trim() || `curl exited with ${result.code}`}`, `curl -X ${method} ${url}`, result.stderr.trim().split('\n').slice(-10));
  }
  const body = cut >= 0 ? text.slice(0, cut) : '';
  ctx.log(`→ ${status}`);
  return {status, body};
}

function expectStatus(answer: ApiAnswer, wanted: number[], what: string, url: string): void {
  if (!wanted.includes(answer.status)) {
    throw new StepError(`${what}: the unit answered ${answer.status}`, url, answer.body.trim().split('\n').slice(-10));
  }
}

/** Exists (200) or created now (201); anything else stops the run. */
async function ensureEntity(ctx: StepContext, target: BootstrapTarget, collection: string, name: string, create: {body: string; headers?: Record<string, string>}, what: string): Promise<boolean> {
  const get = await api(ctx, target, 'GET', `${collection}('${name}')`);
  if (get.status === 200) return false;
  if (get.status !== 404) expectStatus(get, [200, 404], `looking for ${what}`, `${collection}('${name}')`);
  ctx.changed(`${what} created`);
  if (ctx.checkOnly) return true;
  const post = await api(ctx, target, 'POST', collection, {body: create.body, headers: create.headers});
  expectStatus(post, [201, 409], `creating ${what}`, collection);
  return true;
}

export interface BootstrapResult {
  /** A password made in this run (to be shown once). */
  newPassword?: string;
  /** Whether the admin account's password was checked with a token request. */
  verified: boolean;
}

/** Create (or find) the unit admin cell, account and roles. */
export async function bootstrapUnitAdmin(ctx: StepContext, target: BootstrapTarget, passwords: {read(): string | undefined; write(password: string): void}): Promise<BootstrapResult> {
  const unit = unitUrl(target.fqdn);
  const cell = cellUrl(target);
  const ownerHeader = {'X-Personium-Unit-User': `${cell}#${ADMIN_ACCOUNT}`};
  await ensureEntity(ctx, target, `${unit}__ctl/Cell`, target.cell, {body: JSON.stringify({Name: target.cell}), headers: ownerHeader}, `cell ${target.cell}`);

  const result: BootstrapResult = {verified: false};
  let password = passwords.read();
  const account = await api(ctx, target, 'GET', `${cell}__ctl/Account('${ADMIN_ACCOUNT}')`);
  if (account.status === 404 || (ctx.checkOnly && account.status !== 200)) {
    ctx.changed(`account ${ADMIN_ACCOUNT} created`);
    if (!ctx.checkOnly) {
      if (password === undefined) {
        password = generateAdminPassword();
        passwords.write(password);
        result.newPassword = password;
      }
      const post = await api(ctx, target, 'POST', `${cell}__ctl/Account`, {body: JSON.stringify({Name: ADMIN_ACCOUNT}), headers: {'X-Personium-Credential': password}});
      expectStatus(post, [201, 409], `creating account ${ADMIN_ACCOUNT}`, `${cell}__ctl/Account`);
    }
  } else {
    expectStatus(account, [200], `looking for account ${ADMIN_ACCOUNT}`, `${cell}__ctl/Account('${ADMIN_ACCOUNT}')`);
  }

  for (const role of ['UnitAdmin', 'CellContentsAdmin']) {
    await ensureEntity(ctx, target, `${cell}__ctl/Role`, role, {body: JSON.stringify({Name: role})}, `role ${role}`);
  }
  if (!ctx.checkOnly) {
    const linkUrl = `${cell}__ctl/Role('CellContentsAdmin')/$links/_Account`;
    const link = await api(ctx, target, 'POST', linkUrl, {body: JSON.stringify({uri: `${cell}__ctl/Account('${ADMIN_ACCOUNT}')`})});
    expectStatus(link, [204, 409], `linking account ${ADMIN_ACCOUNT} to CellContentsAdmin`, linkUrl);
    if (link.status === 204) ctx.changed(`account ${ADMIN_ACCOUNT} linked to CellContentsAdmin`);
  }

  if (password !== undefined && !ctx.checkOnly) {
    const form = new URLSearchParams({grant_type: 'password', username: ADMIN_ACCOUNT, password}).toString();
    const token = await api(ctx, target, 'POST', `${cell}__token`, {body: form, form: true, auth: false});
    expectStatus(token, [200], `signing in as ${ADMIN_ACCOUNT} with the saved password`, `${cell}__token`);
    result.verified = true;
  }
  return result;
}

export async function readBootstrapMarker(ctx: Pick<StepContext, 'host'>): Promise<boolean> {
  const probe = await ctx.host.exec(`cat -- ${q(BOOTSTRAP_MARKER)} 2>/dev/null`, {sudo: true});
  return probe.code === 0 && probe.stdout.includes('"cell"');
}

export async function writeBootstrapMarker(ctx: StepContext, target: BootstrapTarget): Promise<void> {
  if (ctx.checkOnly) return;
  const content = `${JSON.stringify({cell: target.cell, account: ADMIN_ACCOUNT, fqdn: target.fqdn, at: new Date().toISOString()})}\n`;
  await run(ctx, `install -d -m 755 -- ${q(STATE_DIR)}`);
  await ctx.host.upload(content, BOOTSTRAP_MARKER, {mode: 0o600, owner: 'root', group: 'root', sudo: true});
}
