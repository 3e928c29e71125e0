/** `GET /v1/openapi.json`: the OpenAPI 3.1 document of this API. */
import { openApiDocument } from '../openapi.js';
import { json, type Route } from '../route.js';

/** Route for the document of `all` (the table it belongs to, itself included). */
export function openApiRoute(all: () => readonly Route[]): Route {
  let cached: object | null = null;
  return {
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'The OpenAPI 3.1 document of the admin API',
    handler() {
      cached ??= openApiDocument(all());
      return json(cached);
    },
  };
}
