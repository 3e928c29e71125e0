/** Polls an API call while the component is mounted (and the page visible). */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Polled<T> {
  data: T | null;
  error: Error | null;
  /** Polls again now. */
  refresh(): void;
}

export function usePoll<T>(load: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const kick = useRef<() => void>(() => undefined);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let alive = true;
    let ctl: AbortController | null = null;
    setData(null);
    setError(null);
    const run = async (): Promise<void> => {
      if (timer !== null) clearTimeout(timer);
      ctl?.abort();
      const mine = (ctl = new AbortController());
      try {
        const value = await load(mine.signal);
        if (alive && !mine.signal.aborted) {
          setData(value);
          setError(null);
        }
      } catch (err) {
        if (alive && !mine.signal.aborted) setError(err as Error);
      }
      if (alive && !mine.signal.aborted) timer = setTimeout(() => void run(), intervalMs);
    };
    kick.current = () => void run();
    void run();
    return () => {
      alive = false;
      ctl?.abort();
      if (timer !== null) clearTimeout(timer);
    };
  }, deps);
  const refresh = useCallback(() => kick.current(), []);
  return { data, error, refresh };
}

/** How often the sessions view and a session's detail poll. */
export const SESSION_POLL_MS = 1500;
