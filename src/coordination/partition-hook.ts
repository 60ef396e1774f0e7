/**
 * The test hook behind THREE_PC_PARTITION_FILE (the chaos suite's 3PC partition scenario): a participant is
 * cut off while the file exists and names it (whitespace-separated service names). Read on every call, so
 * the partition starts and heals while the worker runs; no file, no partition.
 */
import fs from 'node:fs';
import type { Participant } from '../domain/coordination';

/** THREE_PC_PARTITION_FILE's documentation (src/config.ts, the README's configuration table) */
export const PARTITION_HOOK_DOC =
  'Test hook (the chaos suite): while this file names a voting service (`orders`, `inventory`, `payments`), that 3PC participant pre-commits but its acknowledgement is lost and neither the coordinator nor its recovery sweep (reading the recorded decision) reaches it until its own timeout rule has ended its part (a network partition). Unset: no partition.';

export function partitionFromFile(
  file: string | undefined,
  participant: Participant,
): (() => boolean) | undefined {
  if (!file) return undefined;
  return () => {
    try {
      return fs.readFileSync(file, 'utf8').split(/\s+/).includes(participant);
    } catch {
      return false; // no file: no partition
    }
  };
}
