// Saved profiles: one conf store per profile name, file mode 0600, read back as the wizard's
// defaults next time. Only the validated profile is saved; secrets are references by design.
import Conf from 'conf';
import * as z from 'zod';
import type {Profile} from './schema.js';
import { type ProfileInput} from './schema.js';

export const PROFILE_NAME = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, {error: 'a profile name is lowercase letters, digits, "-" or "_" (at most 40)'});

export interface StoreOptions {
  /** Directory for the store files; tests point it at a temp dir. Default: the user config dir. */
  cwd?: string;
}

interface Stored {
  profile?: ProfileInput;
  savedAt?: string;
}

function open(name: string, options: StoreOptions): Conf<Stored> {
  PROFILE_NAME.parse(name);
  return new Conf<Stored>({
    projectName: 'personium-setup',
    projectSuffix: '',
    configName: `profile-${name}`,
    cwd: options.cwd,
    configFileMode: 0o600,
    // A hand-edited file that no longer parses is an error to report, never silently reset.
    clearInvalidConfig: false,
  });
}

export function saveProfile(name: string, profile: Profile, options: StoreOptions = {}): string {
  const store = open(name, options);
  store.set('profile', profile as ProfileInput);
  store.set('savedAt', new Date().toISOString());
  return store.path;
}

export type LoadedProfile = {found: false; path: string} | {found: true; path: string; answers: ProfileInput; savedAt?: string};

/** The saved answers (not re-validated here: the caller merges and validates them with the rest). */
export function loadProfile(name: string, options: StoreOptions = {}): LoadedProfile {
  const store = open(name, options);
  const profile = store.get('profile');
  if (!profile) return {found: false, path: store.path};
  return {found: true, path: store.path, answers: profile, savedAt: store.get('savedAt')};
}

export function profilePath(name: string, options: StoreOptions = {}): string {
  return open(name, options).path;
}
