/** A minimal observable store for Preact: a value, a version, and a hook that re-renders on change. */
import { useEffect, useState } from 'preact/hooks';

export interface Subscribable {
  subscribe(listener: () => void): () => void;
}

export class Emitter implements Subscribable {
  readonly #listeners = new Set<() => void>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Increases on every change; views memoise on it. */
  version = 0;

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Tells the listeners now. */
  emit(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.version++;
    for (const l of this.#listeners) l();
  }

  /** Tells the listeners soon, once for a burst of changes (live tables get many events a second). */
  emitSoon(delayMs = 80): void {
    this.#timer ??= setTimeout(() => this.emit(), delayMs);
  }
}

/** Re-renders the component whenever `store` changes. */
export function useStore(store: Subscribable): void {
  const [, setTick] = useState(0);
  useEffect(() => store.subscribe(() => setTick((t) => t + 1)), [store]);
}
