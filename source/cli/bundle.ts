// `personium-setup bundle --out FILE`: on a machine with internet, download and verify every
// archive the profile needs into one file; `install --bundle FILE` uses it with no internet.
import {createBundle} from '../artifacts/bundle.js';
import {findVersionSet} from '../presets.js';
import {RunLog} from '../run-log.js';
import {gatherAnswers, info, output, UsageError, validateProfile, type CommonOptions} from './common.js';

export interface BundleOptions extends CommonOptions {
  out?: string;
}

export async function runBundleCommand(options: BundleOptions): Promise<void> {
  if (!options.out) throw new UsageError('bundle needs --out FILE (the archive to write)');
  const log = new RunLog('bundle');
  const {answers, source} = await gatherAnswers(options);
  const {profile} = await validateProfile(answers, source);
  const set = findVersionSet(profile.versionSet)!;
  let lastReport = 0;
  const result = await createBundle(profile, set, options.out, {
    onNotice: line => {
      info(line);
      log.write(line);
    },
    onProgress: (bytes, total, ref) => {
      // A line every few seconds at most: enough to see it move without flooding a log.
      if (Date.now() - lastReport < 3000 && bytes !== total) return;
      lastReport = Date.now();
      info(`  ${ref.fileName}: ${(bytes / 1e6).toFixed(1)}${total ? ` of ${(total / 1e6).toFixed(1)}` : ''} MB`);
    },
  });
  for (const file of result.manifest.files) {
    output(`${file.fileName}  ${file.size} bytes  sha256 ${file.sha256}`);
    log.write(`bundled ${file.fileName} sha256 ${file.sha256}`);
  }
  output(`Bundle written: ${result.file} (version set ${set.id}). Install with: personium-setup install --bundle ${result.file}`);
}
