/**
 * Every event sessiongate emits, declared in one place (`<noun>:<past-verb>`). Modules emit on the gateway's
 * bus; the admin SSE layer, the metrics and library users subscribe. Listeners must be quick: the proxy calls
 * them inline.
 */
import { EventEmitter } from 'node:events';
import type { Session } from './session/session.js';

export interface GatewayEventMap {
  'session:created': [session: Session];
  'session:expired': [session: Session];
  'session:killed': [session: Session];
  'session:closed': [session: Session];
}

export type GatewayEventName = keyof GatewayEventMap;

/** A typed EventEmitter for the events above. */
export class EventBus {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(100);
  }

  on<K extends GatewayEventName>(event: K, listener: (...args: GatewayEventMap[K]) => void): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  emit<K extends GatewayEventName>(event: K, ...args: GatewayEventMap[K]): void {
    if (this.#emitter.listenerCount(event) > 0) this.#emitter.emit(event, ...args);
  }
}
