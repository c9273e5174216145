// SPDX-License-Identifier: MIT
export interface UseTablesOptions {
  /** CreateTableInput documents or models; default: dyntable.config.* of dir. */
  tables?: object[]
  dir?: string
  socket?: string
  timeoutSeconds?: number
}
export interface Tables {
  /** { logical: physical name }, from before() on. */
  readonly names: Record<string, string>
  tableName (logical: string): string
}
/** Registers before()/after() that create and delete this file's tables. */
export function useTables (options?: UseTablesOptions): Tables
