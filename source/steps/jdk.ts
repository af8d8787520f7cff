// Java 17 for the services that run on it (Tomcat, ActiveMQ, Elasticsearch 6; Elasticsearch 7
// brings its own): the distribution's OpenJDK package by default, or, with `artifacts.jdk:
// tarball`, the version set's Temurin tarball, verified like every archive and unpacked once to
// /opt/jdk-<version> with /opt/jdk pointing at it. Services get the versioned JAVA_HOME, so a new
// JDK changes their files and restarts them.
import type {LocalArtifact} from '../artifacts/types.js';
import {ensurePackages, run} from '../executor/primitives.js';
import {StepError, type StepContext} from '../executor/types.js';
import {shellQuote as q} from '../hosts/quote.js';
import {PATHS} from '../plan/paths.js';
import type {VersionSet} from '../presets.js';
import type {Profile} from '../profile/schema.js';
import {detectJavaHome, ensureArtifact, ensureSymlink, ensureUnpacked} from './common.js';

const IS_17 = /version "17[."]/;

/** Where the version set's JDK tarball is unpacked. */
export function tarballJavaHome(set: VersionSet): string {
  return PATHS.jdkTarballHome(set.jdk.tarball.version);
}

/** JAVA_HOME for the services on this host: the tarball's directory, else the distribution's JDK found on the host. */
export function javaHomeFor(profile: Pick<Profile, 'artifacts'>, set: VersionSet, ctx: StepContext): Promise<string> {
  return profile.artifacts.jdk === 'tarball' ? Promise.resolve(tarballJavaHome(set)) : detectJavaHome(ctx);
}

/** The distribution's JDK 17, then a check that the JAVA_HOME services get runs Java 17. */
export async function installDistributionJdk(ctx: StepContext, packages: string[]): Promise<void> {
  await ensurePackages(ctx, packages);
  if (ctx.checkOnly) return;
  // Another Java as the system default is the operator's business: the services name theirs.
  await checkJava17(ctx, await detectJavaHome(ctx));
}

async function checkJava17(ctx: StepContext, home: string): Promise<void> {
  const java = `${home}/bin/java`;
  const version = await run(ctx, `${q(java)} -version 2>&1 | head -3`, {allowFail: true});
  if (version.code !== 0 || !IS_17.test(version.stdout)) {
    throw new StepError(`${java} does not run as Java 17`, `${java} -version`, version.stdout.trim().split('\n').slice(-3));
  }
}

/** The JDK tarball in `home`, /opt/jdk → home, then a check that its java runs and is 17. */
export async function installJdkTarball(ctx: StepContext, archive: LocalArtifact, home: string): Promise<void> {
  await ensureArtifact(ctx, archive);
  await ensureUnpacked(ctx, archive, home);
  await ensureSymlink(ctx, PATHS.jdkHome, home);
  if (!ctx.checkOnly) await checkJava17(ctx, home);
}
