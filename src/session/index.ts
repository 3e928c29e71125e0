export { Session, type SessionInit, type SessionMode, type SessionState } from './session.js';
export { SessionQueue, type QueuedRequest, type QueueTurn } from './session-queue.js';
export { SessionTable, type Resolution, type SessionRequest } from './session-table.js';
export { TimeoutQueue, type TimeoutEntry, type TimeoutQueueOptions } from './timeout-queue.js';
export { basicAuthUser, scrubReferer, sessionCookie, takeCookie, takeParam } from './identify.js';
export { isWellFormedToken, newToken } from './token.js';
