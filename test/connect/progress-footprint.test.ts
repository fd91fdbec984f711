// A Connect sidecar without sink progress never loads kafkajs (BENCHMARKS.md, "Footprint"); with
// it on, the offsets client loads kafkajs through kafka/seam.ts. Its own file: one process, a
// clean module cache.
import t from 'tap'
import { createAgent } from '../../src/agent'
import { createLogger } from '../../src/log/logger'
import { configFrom } from '../helpers/agent'

const kafkajsLoaded = (): boolean => Object.keys(require.cache).some((k) => k.includes('/node_modules/kafkajs/'))

t.test('no kafkajs without --connect-kafka-bootstrap; kafkajs with it', async (t) => {
  t.notOk(kafkajsLoaded(), 'not loaded by the imports')
  const plain = createAgent(configFrom(['--connect-url', 'http://127.0.0.1:1']), { logger: createLogger('silent') })
  await plain.close()
  t.notOk(kafkajsLoaded(), 'a Connect agent without progress does not load it')
  const progress = createAgent(configFrom(['--connect-url', 'http://127.0.0.1:1', '--connect-kafka-bootstrap', '127.0.0.1:1']), { logger: createLogger('silent') })
  await progress.close()
  t.ok(kafkajsLoaded(), 'sink progress does')
})
