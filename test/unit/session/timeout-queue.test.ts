import { describe, expect, it } from 'vitest';
import { TimeoutQueue } from '../../../src/session/timeout-queue.js';

interface Item {
  name: string;
  deadline: number;
  busy?: boolean;
}

function queue(now: { t: number }, expired: string[], sliceBudgetMs = 1000) {
  return new TimeoutQueue<Item>({
    deadlineOf: (i) => (i.busy ? null : i.deadline),
    expire: (i) => expired.push(i.name),
    now: () => now.t,
    sliceBudgetMs,
    busyRecheckMs: 100,
  });
}

describe('TimeoutQueue', () => {
  it('expires items in deadline order, only once their deadline has passed', () => {
    const now = { t: 1000 };
    const expired: string[] = [];
    const q = queue(now, expired);
    const items = [5, 3, 9, 1, 7].map((n) => ({ name: `i${n}`, deadline: 1000 + n * 10 }));
    for (const i of items) q.add(i, i.deadline);
    now.t = 1035;
    q.run();
    expect(expired).toEqual(['i1', 'i3']);
    now.t = 2000;
    q.run();
    expect(expired).toEqual(['i1', 'i3', 'i5', 'i7', 'i9']);
    expect(q.size).toBe(0);
    q.close();
  });

  it('re-arms an item whose real deadline moved later (activity) instead of expiring it', () => {
    const now = { t: 0 };
    const expired: string[] = [];
    const q = queue(now, expired);
    const item = { name: 'active', deadline: 100 };
    q.add(item, 100);
    item.deadline = 300; // touched: the entry is not moved, the deadline is
    now.t = 150;
    q.run();
    expect(expired).toEqual([]);
    expect(q.size).toBe(1);
    now.t = 301;
    q.run();
    expect(expired).toEqual(['active']);
    q.close();
  });

  it('never expires a busy item; looks again later', () => {
    const now = { t: 0 };
    const expired: string[] = [];
    const q = queue(now, expired);
    const item = { name: 'busy', deadline: 10, busy: true };
    q.add(item, 10);
    now.t = 50;
    q.run();
    expect(expired).toEqual([]);
    item.busy = false;
    now.t = 200;
    q.run();
    expect(expired).toEqual(['busy']);
    q.close();
  });

  it('removes and reschedules entries anywhere in the heap', () => {
    const now = { t: 0 };
    const expired: string[] = [];
    const q = queue(now, expired);
    const entries = Array.from({ length: 50 }, (_, i) => {
      const item = { name: `n${i}`, deadline: 1000 - i };
      return q.add(item, item.deadline);
    });
    for (let i = 0; i < 50; i += 2) q.remove(entries[i]!);
    q.reschedule(entries[1]!, 5);
    entries[1]!.item.deadline = 5;
    now.t = 10;
    q.run();
    expect(expired).toEqual(['n1']);
    now.t = 5000;
    q.run();
    expect(expired).toHaveLength(25);
    // Still in deadline order: n49 (951) ... n3 (997).
    expect(expired.slice(1)).toEqual(Array.from({ length: 24 }, (_, i) => `n${49 - 2 * i}`));
    q.close();
  });

  it('expires a large batch in slices, yielding to the event loop between them', async () => {
    const now = { t: 0 };
    const expired: string[] = [];
    const q = queue(now, expired, 0); // budget 0: one item per slice
    for (let i = 0; i < 5; i++) q.add({ name: `b${i}`, deadline: 1 }, 1);
    now.t = 10;
    q.run();
    expect(expired.length).toBeLessThan(5);
    await new Promise((r) => setTimeout(r, 20));
    expect(expired).toHaveLength(5);
    q.close();
  });
});
