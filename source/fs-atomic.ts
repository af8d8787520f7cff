// Files on this machine replaced as a whole: written beside the target, then renamed over it, so
// a reader (or a run killed half-way) sees the old file or the new one, never a part.
import {randomBytes} from 'node:crypto';
import {chmod, rename, rm, writeFile} from 'node:fs/promises';

export async function writeFileAtomic(path: string, data: string | Buffer, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data, {mode});
    await chmod(temp, mode); // the umask does not decide
    await rename(temp, path);
  } catch (error) {
    await rm(temp, {force: true});
    throw error;
  }
}
