// SPDX-License-Identifier: MIT
import type { TestAPI } from 'vitest'
/** `test` with a `tables` fixture: { logical: physical name } for this worker. */
export const test: TestAPI<{ tables: Record<string, string> }>
export function tablesFixture (context: object, use: (tables: Record<string, string>) => Promise<void>): Promise<void>
