/** Short notices ("Copied", "Session 7 ended", errors), read out by screen readers (aria-live). */
import { Emitter } from './store.js';

export interface Toast {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

class Toasts extends Emitter {
  items: Toast[] = [];
  #next = 1;

  show(text: string, kind: Toast['kind'] = 'info'): void {
    const id = this.#next++;
    this.items = [...this.items, { id, text, kind }].slice(-4);
    this.emit();
    setTimeout(() => {
      this.items = this.items.filter((t) => t.id !== id);
      this.emit();
    }, kind === 'error' ? 8000 : 3500);
  }
}

export const toasts = new Toasts();
