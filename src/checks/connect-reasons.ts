import type { ConnectErrorKind } from '../clients/connect-client'
import type { Reason } from './check'

/** How Connect client failures read as reasons: in probe bodies, /status and metric labels alike. */
export const REASON_BY_KIND: Readonly<Record<ConnectErrorKind, Exclude<Reason, 'OK'>>> = {
  unreachable: 'CONNECT_UNREACHABLE',
  tls: 'CONNECT_TLS',
  aborted: 'TIMEOUT',
  auth: 'AUTH',
  http: 'CONNECT_HTTP_ERROR',
  redirect: 'CONNECT_REDIRECT',
  'bad-response': 'CONNECT_BAD_RESPONSE',
  'too-large': 'CONNECT_BODY_TOO_LARGE',
  client: 'CONNECT_CLIENT_ERROR',
}
