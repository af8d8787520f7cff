// Prints preflight results once as an Ink table; nothing stays mounted.
import {renderToString} from 'ink';
import {preflightSummary, preflightTable, problemLines} from '../preflight/render.js';
import type {PreflightResult} from '../preflight/types.js';
import {drawWidth} from './draw-width.js';
import {PreflightTable} from './components/PreflightTable.js';

export function renderPreflightView(result: PreflightResult, columns = 100): string {
  return renderToString(<PreflightTable table={preflightTable(result)} problems={problemLines(result)} summary={preflightSummary(result)} />, {columns}) + '\n';
}

export function showPreflightView(result: PreflightResult, stdout: NodeJS.WriteStream = process.stdout): void {
  stdout.write(renderPreflightView(result, drawWidth(stdout.columns || 100)));
}
