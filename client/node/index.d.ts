// SPDX-License-Identifier: MIT
// Type declarations of dyntable (hand-written; the implementation is lib/).

export type AttributeType = 'S' | 'N' | 'B' | 'STRING' | 'NUMBER' | 'BINARY' | (string & {})
export type Key = [name: string, type: AttributeType]
export type Projection = 'ALL' | 'KEYS_ONLY' | 'INCLUDE' | string[]

/** A DynamoDB TableDescription, as DescribeTable returns it (member names and values as DynamoDB sends them). */
export type TableDescription = Record<string, any> & { TableName: string, TableStatus: string }
/** A DynamoDB CreateTableInput (what `aws dynamodb create-table --cli-input-json` takes). */
export type CreateTableInput = Record<string, any> & { TableName: string }

export interface CallOptions { signal?: AbortSignal }
export interface WaitOptions extends CallOptions {
  /** The daemon's default (60 s) when absent or 0. */
  timeoutSeconds?: number
}

export interface GlobalSecondaryIndex {
  name: string
  /** One key, or 1-4 for a multi-attribute key. */
  partitionKey: Key | Key[]
  sortKey?: Key | Key[]
  /** Default ALL; a list of attributes means INCLUDE them. */
  projection?: Projection
  nonKeyAttributes?: string[]
  /** PROVISIONED only; default the table's. */
  readCapacity?: number
  writeCapacity?: number
}

export interface LocalSecondaryIndex {
  name: string
  sortKey: Key
  projection?: Projection
  nonKeyAttributes?: string[]
}

/** createTable's settings other than the keys; defaults as libdyntable's. */
export interface TableSettings {
  /** Default PAY_PER_REQUEST. */
  billingMode?: 'PAY_PER_REQUEST' | 'PROVISIONED'
  /** PROVISIONED: default 5. */
  readCapacity?: number
  writeCapacity?: number
  tableClass?: 'STANDARD' | 'STANDARD_INFREQUENT_ACCESS'
  /** Default AWS_OWNED (no SSESpecification is sent). */
  encryption?: 'AWS_OWNED' | 'AWS_MANAGED' | 'CUSTOMER_MANAGED'
  /** CUSTOMER_MANAGED only: key id, ARN, alias or alias ARN. */
  kmsKeyId?: string
  tags?: Record<string, string>
  stream?: 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY'
  deletionProtection?: boolean
}

export interface CreateOptions extends WaitOptions {
  /** Answer once the table and its GSIs are ACTIVE. Default false. */
  wait?: boolean
  /** With wait: once the table is ACTIVE, whatever its GSIs. */
  tableOnly?: boolean
  /** The table belongs to this connection's session: deleted after the session ends. */
  ephemeral?: boolean
}

export interface CreateTableOptions extends TableSettings, CreateOptions {
  partitionKey: Key
  sortKey?: Key
  globalSecondaryIndexes?: GlobalSecondaryIndex[]
  localSecondaryIndexes?: LocalSecondaryIndex[]
}

export interface ClientOptions {
  /** Default $DYNTABLE_SOCKET, else /run/dyntabled/dyntabled.sock. */
  socket?: string
  /** Table "x" is DynamoDB's "<namespace>.x". Default $DYNTABLE_NAMESPACE; "" for none. */
  namespace?: string
  /** A session token to join (keeps its ephemeral tables). Default $DYNTABLE_SESSION. */
  session?: string
  clientName?: string
  /** Connect plus handshake. Default 5000. */
  connectTimeoutMs?: number
}

export interface Hello {
  major: number, minor: number, server: string, max_frame: number, max_inflight: number,
  protocol_frame_max: number, session: string, resumed: boolean
}

export interface Lease {
  /** DynamoDB's name of the table: the one for its items. */
  tableName: string
  name?: string
  pool: string
  /** Created for this lease rather than taken ready from the pool. */
  fresh: boolean
  table: TableDescription
}

export class DynamoDBClient implements AsyncDisposable {
  constructor (options?: ClientOptions)
  readonly socket: string
  readonly namespace: string
  /** The session token once connected: a capability, keep it secret. */
  readonly session: string | undefined
  readonly resumed: boolean | undefined
  readonly server: string | undefined
  readonly connected: boolean
  /** Connects (the first call does it too). After a lost connection, connects anew and rejoins the session. */
  connect (options?: CallOptions): Promise<Hello>
  /** Closes; calls still pending reject with ConnectionError. */
  close (): Promise<void>
  [Symbol.asyncDispose] (): Promise<void>
  createTable (name: string, options: CreateTableOptions): Promise<TableDescription>
  /** Sends the document as it is, but a missing BillingMode is made PROVISIONED (as DynamoDB and the AWS CLI read it). */
  createTableFromInput (input: CreateTableInput | string, options?: CreateOptions): Promise<TableDescription>
  describeTable (name: string, options?: CallOptions): Promise<TableDescription>
  /** True whatever the status (CREATING, DELETING...). */
  tableExists (name: string, options?: CallOptions): Promise<boolean>
  /** All pages. With all: every table of the account, with DynamoDB's names. */
  listTables (options?: CallOptions & { all?: boolean }): Promise<string[]>
  deleteTable (name: string, options?: WaitOptions & { wait?: boolean }): Promise<TableDescription>
  waitForTableActive (name: string, options?: WaitOptions & { tableOnly?: boolean }): Promise<TableDescription>
  waitForTableDeleted (name: string, options?: WaitOptions): Promise<void>
  /** Deletes every item and keeps the table; items written meanwhile may survive. force: despite deletion protection. */
  truncateTable (name: string, options?: CallOptions & { force?: boolean }): Promise<{ deleted: number, elapsedMs: number }>
  /**
   * Leases an empty ACTIVE table of a definition from the daemon's pool of it
   * (at once when one is ready). name: a logical name for it until released.
   * pooledOnly: only from a pool the daemon has already, else NotFoundError.
   */
  leaseTable (definition: Record<string, any> | string | Omit<CreateTableOptions, keyof CreateOptions>,
    options?: WaitOptions & { name?: string, pooledOnly?: boolean }): Promise<Lease>
  /** Releases a leased table (logical name or its own); resolves to DynamoDB's name. */
  releaseTable (name: string, options?: CallOptions): Promise<string>
  pools (options?: CallOptions): Promise<{ pools: Array<Record<string, any>>, tables: number, leased: number, max_tables: number }>
  /** Admin verbs. */
  status (options?: CallOptions): Promise<Record<string, any>>
  reap (options?: CallOptions): Promise<{ deleted: string[], checked: number, errors: number }>
  /** The daemon's metrics: OpenMetrics 1.0 text ending "# EOF" (what
   * dyntabled --metrics-listen serves) and its media type. */
  metrics (options?: CallOptions): Promise<{ text: string, content_type: string }>
  /** Protocol 1.2: an UpdateTableInput (its TableName, if any, must be name). */
  updateTable (name: string, update: Record<string, any> | string, options?: WaitOptions & { wait?: boolean }): Promise<TableDescription>
  updateTimeToLive (name: string, options: CallOptions & { enabled: boolean, attribute: string }): Promise<{ Enabled: boolean, AttributeName: string }>
  describeTimeToLive (name: string, options?: CallOptions): Promise<{ TimeToLiveStatus: string, AttributeName?: string }>
  tagResource (name: string, tags: Record<string, string>, options?: CallOptions): Promise<void>
  untagResource (name: string, keys: string[], options?: CallOptions): Promise<void>
  listTagsOfResource (name: string, options?: CallOptions): Promise<Record<string, string>>
  updateContinuousBackups (name: string, options: CallOptions & { enabled: boolean, recoveryPeriodDays?: number }): Promise<Record<string, any>>
  describeContinuousBackups (name: string, options?: CallOptions): Promise<Record<string, any>>
}

/** A model in docs/MODEL.md's format (camelCase spellings accepted too). */
export interface ModelIndex {
  name: string
  type: 'global' | 'local'
  partition_key?: string | string[]
  partitionKey?: string | string[]
  sort_key?: string | string[]
  sortKey?: string | string[]
  projection?: 'ALL' | 'KEYS_ONLY' | string[]
  read_capacity?: number
  readCapacity?: number
  write_capacity?: number
  writeCapacity?: number
}
export interface ModelDeclaration {
  table?: string
  attributes: Record<string, AttributeType>
  partition_key?: string
  partitionKey?: string
  sort_key?: string
  sortKey?: string
  indexes?: ModelIndex[]
}

export class Model {
  constructor (decl: ModelDeclaration)
  readonly decl: ModelDeclaration
  readonly table: string | undefined
  toCreateTableInput (options?: TableSettings & { tableName?: string }): CreateTableInput
  toCreateTableOptions (options?: TableSettings): CreateTableOptions
  createTable (client: DynamoDBClient, options?: TableSettings & CreateOptions & { tableName?: string }): Promise<TableDescription>
  tableExists (client: DynamoDBClient, options?: CallOptions & { tableName?: string }): Promise<boolean>
  deleteTable (client: DynamoDBClient, options?: WaitOptions & { wait?: boolean, tableName?: string }): Promise<TableDescription>
}
export function defineModel (decl: ModelDeclaration): Model
/** The CreateTableInput that createTable sends for these options. */
export function createTableInput (name: string, options: CreateTableOptions): CreateTableInput

export const DEFAULT_SOCKET: string
export const PROTOCOL_VERSION: string

export class DyntableError extends Error {
  /** The protocol's name of the error, e.g. "NOT_FOUND"; "CONNECTION" for ConnectionError. */
  code: string
  /** The protocol's number (PROTOCOL.md §4); 0 for ConnectionError. */
  number: number
  /** DynamoDB's error type, when DynamoDB gave one. */
  awsType?: string
}
/** The daemon cannot be reached (the message says how to fix it), or the connection was lost or closed. */
export class ConnectionError extends DyntableError {}
export class ProtocolError extends DyntableError {}
export class VersionError extends DyntableError {}
export class InvalidError extends DyntableError {}
export class NotFoundError extends DyntableError {}
export class InUseError extends DyntableError {}
export class TimeoutError extends DyntableError {}
export class AwsError extends DyntableError {}
export class UpstreamError extends DyntableError {}
export class CredentialsError extends DyntableError {}
export class LimitError extends DyntableError {}
export class ShutdownError extends DyntableError {}
export class DeniedError extends DyntableError {}
export class InternalError extends DyntableError {}
