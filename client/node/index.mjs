// SPDX-License-Identifier: MIT
// ESM entry: the CommonJS implementation re-exported, so that `import` and
// `require` share one set of classes.
import dyntable from './lib/index.js'

export const {
  DynamoDBClient, Model, defineModel, createTableInput, DEFAULT_SOCKET, PROTOCOL_VERSION,
  DyntableError, ConnectionError, ProtocolError, VersionError, InvalidError, NotFoundError,
  InUseError, TimeoutError, AwsError, UpstreamError, CredentialsError, LimitError,
  ShutdownError, DeniedError, InternalError
} = dyntable
export default dyntable
