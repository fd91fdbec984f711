// kafkajs 2.2.4 (pinned, unmaintained) exports no way to send a Metadata request for zero
// topics to one chosen broker; its internal Broker and connection pool do. These are the few
// internal shapes kafkajs-broker-client.ts relies on.
declare module 'kafkajs/src/broker' {
  interface ProtocolRequest {
    request: { apiKey: number, apiVersion: number, apiName: string, encode: () => Promise<unknown> }
    response: unknown
  }
  class Broker {
    constructor (opts: {
      connectionPool: unknown
      logger: unknown
      allowAutoTopicCreation?: boolean
      authenticationTimeout?: number
    })

    connectionPool: { send: (req: ProtocolRequest | { request: ProtocolRequest['request'], response: { decode: (b: Buffer) => Promise<unknown>, parse: (d: unknown) => Promise<unknown> } }) => Promise<unknown> }
    connect (): Promise<void>
    disconnect (): Promise<void>
    apiVersions (): Promise<unknown>
    lookupRequest (apiKey: number, definition: unknown): (args: Record<string, unknown>) => ProtocolRequest
  }
  export = Broker
}
declare module 'kafkajs/src/cluster/connectionPoolBuilder' {
  function builder (opts: Record<string, unknown>): { build: (destination?: { host: string, port: number }) => Promise<unknown> }
  export = builder
}
declare module 'kafkajs/src/network/socketFactory' {
  function socketFactory (): unknown
  export = socketFactory
}
declare module 'kafkajs/src/protocol/encoder' {
  class Encoder {
    writeArray (array: unknown[]): Encoder
    writeBoolean (value: boolean): Encoder
    writeBuffer (value: Buffer): Encoder
    writeString (value: string): Encoder
    writeNullableArray (array: unknown[]): Encoder
  }
  export = Encoder
}
declare module 'kafkajs/src/protocol/requests' {
  export const requests: Record<string, unknown>
}
declare module 'kafkajs/src/protocol/requests/apiKeys' {
  const apiKeys: Record<string, number>
  export = apiKeys
}
declare module 'kafkajs/src/loggers' {
  export const LEVELS: { NOTHING: number, ERROR: number, WARN: number, INFO: number, DEBUG: number }
  export function createLogger (opts: { level: number, logCreator: unknown }): unknown
}
declare module 'kafkajs/src/network/requestQueue' {
  class RequestQueue {
    pending: unknown[]
    scheduleCheckPendingRequests (): void
  }
  export = RequestQueue
}
declare module 'kafkajs/src/cluster' {
  import type Broker from 'kafkajs/src/broker'
  class Cluster {
    constructor (opts: Record<string, unknown>)
    /** The broker pool behind the cluster: every broker it builds, and the broker list of the last Metadata answer. */
    brokerPool: {
      createBroker: (options: Record<string, unknown>) => Broker
      findConnectedBroker: () => Promise<Broker>
      /** By node id. */
      readonly brokers: Readonly<Record<string, Broker>>
    }
    connect (): Promise<void>
    disconnect (): Promise<void>
    refreshMetadata (): Promise<void>
    refreshMetadataIfNecessary (): Promise<void>
    findBroker (opts: { nodeId: number }): Promise<Broker>
  }
  export = Cluster
}
declare module 'kafkajs/src/instrumentation/emitter' {
  class InstrumentationEventEmitter {
    addListener (event: string, listener: (e: { payload?: { apiName?: string } }) => void): () => void
  }
  export = InstrumentationEventEmitter
}
declare module 'kafkajs/src/protocol/error' {
  export function createErrorFromCode (code: number): Error
}
