/**
 * Recorded workflow histories (test/fixtures/histories/*.json): `{ workflowId, history }`, the
 * history in the JSON form `temporal workflow show -o json` writes.
 *
 * Not @temporalio/common's historyToJSON/historyFromJSON: in this install they throw "type must
 * be a Type". npm nests a protobufjs 8 of their own under @temporalio/common and under
 * @temporalio/proto (the hoisted one is @grpc/proto-loader's 7), and protojson's instanceof check
 * fails across the copies. The same conversions through the copy @temporalio/proto is built with work.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HistoryAndWorkflowId } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '../fixtures/histories');

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a path resolved at run time: the copy @temporalio/proto loads
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [require.resolve('@temporalio/proto')] })) as {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History;
};
const HistoryType = temporal.api.history.v1.History;

/** Writes one history as test/fixtures/histories/{name}.json. */
export function writeHistoryFile(name: string, workflowId: string, history: History): void {
  const json = protojson.toJson(HistoryType, HistoryType.fromObject(history));
  fs.mkdirSync(HISTORIES_DIR, { recursive: true });
  fs.writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify({ workflowId, history: json }, null, 1)}\n`);
}

/** Every recorded history, by file name. */
export function readHistoryFiles(): Array<HistoryAndWorkflowId & { file: string }> {
  return fs
    .readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const { workflowId, history } = JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, file), 'utf8'));
      // A history from a newer server may carry fields this SDK does not know; replay does not need them.
      return { file, workflowId, history: protojson.fromJson(HistoryType, history, { ignoreUnknownFields: true }) };
    });
}
