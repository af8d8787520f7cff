// Regenerates the keys table in docs/answers-file.md from the profile schema (npm run docs).
import {readFileSync, writeFileSync} from 'node:fs';
import {replaceKeysTable} from '../../source/profile/describe.js';

const path = new URL('../../docs/answers-file.md', import.meta.url);
writeFileSync(path, replaceKeysTable(readFileSync(path, 'utf8')));
console.log('docs/answers-file.md updated');
