import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { SessionQueue, type QueuedRequest } from '../../../src/session/session-queue.js';

const req = (name: string, cancelled: string[] = []): QueuedRequest & { name: string } => ({
  name,
  cancel: (code) => cancelled.push(`${name}:${code}`),
});

describe('SessionQueue', () => {
  it('lets the first request run at once (no promise) and the next ones in arrival order', async () => {
    const q = new SessionQueue(16, 0);
    const a = req('a');
    const b = req('b');
    const c = req('c');
    expect(q.enter(a)).toBeNull();
    const order: string[] = [];
    const pb = q.enter(b)!.then((t) => order.push(`b:${t}`));
    const pc = q.enter(c)!.then((t) => order.push(`c:${t}`));
    expect(q.length).toBe(2);
    q.leave(a);
    await pb;
    expect(order).toEqual(['b:run']);
    expect(q.running).toBe(b);
    q.leave(b);
    await pc;
    q.leave(c);
    expect(order).toEqual(['b:run', 'c:run']);
    expect(q.busy).toBe(false);
  });

  it('refuses one request more than max_queue', () => {
    const q = new SessionQueue(1, 0);
    q.enter(req('running'));
    void q.enter(req('waiting'));
    expect(() => q.enter(req('refused'))).toThrow(GatewayError);
    try {
      q.enter(req('refused'));
    } catch (err) {
      expect((err as GatewayError).code).toBe('SG_ERR_SESSION_QUEUE_FULL');
    }
  });

  it('withdraws a waiting request without running it', async () => {
    const q = new SessionQueue(4, 0);
    const a = req('a');
    const b = req('b');
    const c = req('c');
    q.enter(a);
    const pb = q.enter(b)!;
    const pc = q.enter(c)!;
    expect(q.withdraw(b)).toBe(true);
    expect(await pb).toBe('withdrawn');
    q.leave(a);
    expect(await pc).toBe('run');
    expect(q.running).toBe(c);
  });

  it('times a waiting request out', async () => {
    const q = new SessionQueue(4, 30);
    q.enter(req('a'));
    await expect(q.enter(req('b'))!).rejects.toMatchObject({ code: 'SG_ERR_SESSION_QUEUE_TIMEOUT' });
    expect(q.length).toBe(0);
  });

  it('on close cancels the running request and releases the waiting ones to run without the session', async () => {
    const cancelled: string[] = [];
    const q = new SessionQueue(4, 0);
    q.enter(req('a', cancelled));
    const pb = q.enter(req('b', cancelled))!;
    const pc = q.enter(req('c', cancelled))!;
    q.close();
    expect(cancelled).toEqual(['a:SG_ERR_SESSION_KILLED']);
    expect(await pb).toBe('sessionless');
    expect(await pc).toBe('sessionless');
    expect(await q.enter(req('late'))).toBe('sessionless');
  });
});
