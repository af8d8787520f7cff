// What the install steps need besides the host they run on: the profile and plan, the version
// set, the verified archives on this machine, the unit's secrets and certificates (resolved once
// before the run), and the facts gathered from every host.
import type {ArtifactName, LocalArtifact} from '../artifacts/types.js';
import type {OsInfo, StepContext} from '../executor/types.js';
import type {Host} from '../hosts/host.js';
import type {Plan} from '../plan/plan.js';
import type {VersionSet} from '../presets.js';
import type {HostSpec, Profile, Role} from '../profile/schema.js';
import {unitContext, type UnitContext} from '../steps/render/context.js';
import {javaHomeFor} from '../steps/jdk.js';
import {memcachedUser} from '../steps/os.js';
import type {UnitSecrets} from '../steps/unit-secrets.js';

export interface TlsMaterial {
  /** Server certificate nginx serves (PEM, leaf first, then intermediates). */
  serverCert: string;
  serverKey: string;
  /** Unit certificate and its PKCS#1 RSA key (sign trans-cell tokens). */
  unitCert: string;
  unitKey: string;
  /** Further trusted roots for other units' tokens, by file name. */
  unitRoots: Array<{fileName: string; pem: string}>;
  /** The server certificate is the tool's own: the AP hosts' Java must be told to trust it. */
  selfSignedServer: boolean;
}

export interface HostFacts {
  /** Total memory in MB (sizes heaps the profile leaves open). */
  memoryMb: number;
}

export interface AdminPasswordStore {
  /** Local 0600 file holding the unit admin credentials. */
  path: string;
  /** The password saved by an earlier (possibly interrupted) run, if any. */
  read(): string | undefined;
  /** Save before the account is created, so a cut connection cannot lose it. */
  write(password: string): void;
}

import type {TxtRecord} from '../steps/acme/plan.js';

export interface InstallDeps {
  profile: Profile;
  plan: Plan;
  versionSet: VersionSet;
  artifacts: Map<ArtifactName, LocalArtifact>;
  secrets: UnitSecrets;
  tls: TlsMaterial;
  facts: Map<string, HostFacts>;
  /** Every connected host by profile name (the bootstrap step reconfigures all AP hosts). */
  hosts: Map<string, Host>;
  os: Map<string, OsInfo>;
  adminPassword: AdminPasswordStore;
  /** Called once when the bootstrap made a new unit admin password. */
  onAdminPassword?: (password: string) => void;
  /** The unit was bootstrapped in an earlier run (its marker is on the first AP host). */
  bootstrapped: boolean;
  /** Let's Encrypt DNS-01: show the TXT records to create; returns when the operator says they exist. */
  confirmTxt?: (records: TxtRecord[]) => Promise<void>;
}

export function hostSpec(profile: Profile, name: string): HostSpec {
  const host = profile.hosts.find(h => h.name === name);
  if (!host) throw new Error(`no host named ${name} in the profile`);
  return host;
}

export function hostsWithRole(profile: Profile, role: Role): HostSpec[] {
  return profile.hosts.filter(h => h.roles.includes(role));
}

export function firstApHost(profile: Profile): HostSpec {
  const ap = hostsWithRole(profile, 'ap')[0];
  if (!ap) throw new Error('no host has the ap role');
  return ap;
}

/**
 * The master token stays in the unit config until the unit admin cell exists; afterwards only
 * when the profile keeps it.
 */
export function masterTokenWanted(deps: InstallDeps): boolean {
  return !deps.profile.security.disableMasterToken || !deps.bootstrapped;
}

/** The renderers' view of one host, with JAVA_HOME of the profile's JDK (the distribution's is found on the host). */
export async function renderContext(deps: InstallDeps, ctx: StepContext, options: {hostName?: string; masterToken?: boolean} = {}): Promise<UnitContext> {
  const name = options.hostName ?? ctx.host.name;
  const withToken = options.masterToken ?? masterTokenWanted(deps);
  return unitContext(deps.profile, deps.versionSet, {
    host: name,
    javaHome: await javaHomeFor(deps.profile, deps.versionSet, ctx),
    memcachedUser: memcachedUser(ctx.os),
    secrets: {secret16: deps.secrets.secret16, salt: deps.secrets.salt},
    masterToken: withToken ? deps.secrets.masterToken : undefined,
    memoryMb: deps.facts.get(name)?.memoryMb,
  });
}

export function artifact(deps: InstallDeps, name: ArtifactName): LocalArtifact {
  const found = deps.artifacts.get(name);
  if (!found) throw new Error(`the ${name} archive was not resolved`);
  return found;
}
