export { Connection, type ConnectionHandler, type ConnectionOptions, type ConnectionState, type HandlerFactory, type OutgoingHeaders } from './connection.js';
export { IncomingRequest, type RequestId } from './request.js';
export { Listener, type ListenerOptions } from './listener.js';
export { ResponseBuilder, Responses } from './response-builder.js';
