import Encoder from 'kafkajs/src/protocol/encoder'
import { kafkajsConnections, type KafkajsClientOptions } from './kafkajs-client'
import type { QuorumClient } from './quorum'
import { DESCRIBE_CLUSTER, DESCRIBE_QUORUM, decodeDescribeClusterResponse, decodeDescribeQuorumResponse, encodeDescribeClusterRequest, encodeDescribeQuorumRequest } from './quorum-codec'

/**
 * QuorumClient on the broker client's connection machinery (kafkajs-client.ts): the same dial,
 * TLS, SASL (a controller listener may require them too), abort and reset-after-failure rules,
 * and the same credential-free ping. The requests themselves are ours (quorum-codec.ts), handed
 * to kafkajs's connection as an already-encoded body, rather than raw frames on a socket of our
 * own: a second socket layer would need its own TLS, SASL and correlation handling, and would
 * drift from the broker client's fixes.
 */
export function createKafkajsQuorumClient (opts: KafkajsClientOptions): QuorumClient {
  const { main, ping } = kafkajsConnections(opts)

  async function send<T> (signal: AbortSignal, api: { apiKey: number, apiVersion: number, apiName: string }, body: Buffer, decode: (b: Buffer) => T): Promise<T> {
    return await main.call(signal, async (b) => await b.connectionPool.send({
      request: { ...api, encode: async () => await Promise.resolve(new Encoder().writeBuffer(body)) },
      // kafkajs hands over what follows the correlation id; parse adds nothing.
      response: { decode: async (raw: Buffer) => await Promise.resolve(decode(raw)), parse: async (d: unknown) => await Promise.resolve(d) },
    }) as T)
  }

  return {
    ping,
    describeControllers: async (signal) => await send(signal, DESCRIBE_CLUSTER, encodeDescribeClusterRequest(), decodeDescribeClusterResponse),
    describeQuorum: async (signal) => await send(signal, DESCRIBE_QUORUM, encodeDescribeQuorumRequest(), decodeDescribeQuorumResponse),
    close: async () => { await main.close() },
  }
}
