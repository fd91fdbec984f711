import { lookup as dnsLookup } from 'node:dns/promises'
import { BrokerError, type BrokerClient } from './client'
import type { KafkaTarget } from '../config/resolve'
import { fail, pass, type Check } from '../core/check'
import { brokerFailure } from './checks'

export const CHECK_ADVERTISED = 'advertised'

export interface AdvertisedDeps {
  /** The client of the local broker, whose metadata says what this broker advertises. */
  readonly client: BrokerClient
  /** The local broker's settings as they are now: TLS and SASL may have rotated since start. */
  readonly target: () => KafkaTarget
  readonly brokerId: number
  /** A client for another address (the advertised one), with the same TLS and SASL settings. */
  readonly clientFor: (target: KafkaTarget) => BrokerClient
  /** DNS; tests replace it. */
  readonly lookup?: (host: string) => Promise<string[]>
}

const defaultLookup = async (host: string): Promise<string[]> => (await dnsLookup(host, { all: true })).map((a) => a.address)

/**
 * advertised: the address the cluster hands out for this broker resolves and accepts a Kafka
 * connection from inside the pod. Clients bootstrap anywhere and are then sent to this address;
 * when it is wrong (a listener advertising localhost, a node IP, a name that does not resolve),
 * the broker looks healthy to every local check and is unreachable to every client.
 */
export function advertisedCheck (deps: AdvertisedDeps): Check & { close: () => Promise<void> } {
  const lookup = deps.lookup ?? defaultLookup
  let current: { address: string, material: KafkaTarget, client: BrokerClient } | undefined

  function clientFor (host: string, port: number): BrokerClient {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
    const target = deps.target()
    if (current?.address === address && current.material === target) return current.client
    const old = current
    void old?.client.close()
    // TLS must verify the advertised name: that is the name clients check the certificate against.
    const tls = target.tls === undefined ? undefined : { ...target.tls, servername: host }
    current = { address, material: target, client: deps.clientFor({ ...target, address, host, port, tls }) }
    return current.client
  }

  return {
    name: CHECK_ADVERTISED,
    run: async (signal) => {
      let meta
      try {
        meta = await deps.client.clusterMetadata(signal)
      } catch (err) {
        return brokerFailure(deps.target().address, err)
      }
      const me = meta.brokers.find((b) => b.nodeId === deps.brokerId)
      if (me === undefined) return fail('BROKER_NOT_REGISTERED', `broker id ${deps.brokerId} is not in the cluster metadata, so it advertises nothing yet`)
      const address = `${me.host}:${me.port}`
      let ips: string[]
      try {
        ips = await lookup(me.host)
      } catch (err) {
        return fail('ADVERTISED_UNRESOLVABLE', `advertised address ${address} does not resolve from this pod: ${err instanceof Error ? err.message : String(err)}`, { advertised: address })
      }
      const details = { advertised: address, resolvesTo: ips }
      try {
        await clientFor(me.host, me.port).ping(signal)
      } catch (err) {
        // The deadline passed: the runner's TIMEOUT, not a verdict on the address. Returned, not
        // thrown: the runner has already answered TIMEOUT, and a throw reads as a bug in the check.
        if (err instanceof BrokerError && err.kind === 'aborted') return brokerFailure(address, err)
        const why = err instanceof Error ? err.message : String(err)
        return fail('ADVERTISED_UNREACHABLE', `advertised address ${address} (${ips.join(', ')}) does not accept a Kafka connection from this pod: ${why}`, details)
      }
      return pass(`advertised address ${address} (${ips.join(', ')}) accepts Kafka connections`, details)
    },
    close: async () => { await current?.client.close() },
  }
}
