// SPDX-License-Identifier: MIT
/** This Jest worker's tables: { logical: physical name }. */
export function tables (): Record<string, string>
/** The physical name of table `logical` for this worker, e.g. "run-1a2b3c4d-w3.users". */
export function tableName (logical: string): string
