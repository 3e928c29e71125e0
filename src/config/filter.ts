/** `services[].filters[]`: steps on the request/response path, with per-session state. */
import { z } from 'zod';
import { section } from './section.js';
import { duration } from './units.js';

const headerName = () => z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'expected an HTTP header name');
const headerChanges = section({
  set: z.record(headerName(), z.string()).default({}).describe('Header fields to set (replacing any with the same name).'),
  remove: z.array(headerName()).default([]).describe('Header fields to remove.'),
}).prefault({});

export const headersFilterSection = section({
  type: z.literal('headers'),
  name: z.string().min(1).optional().describe('Name of the filter (default: its type and position).'),
  request: headerChanges.describe('Changes to the request before it goes upstream.'),
  response: headerChanges.describe('Changes to the response before it goes to the client.'),
});

export const throttleFilterSection = section({
  type: z.literal('throttle'),
  name: z.string().min(1).optional().describe('Name of the filter (default: its type and position).'),
  rate: z.number().positive().describe('Requests a session may make per `per`.'),
  per: duration().default(1000).describe('The period of `rate`.'),
  burst: z.number().int().min(1).optional().describe('Requests a session may make at once after being idle (default: `rate`).'),
});

export const filterSection = z.discriminatedUnion('type', [headersFilterSection, throttleFilterSection]);

export type FilterConfig = z.output<typeof filterSection>;
export type HeadersFilterConfig = z.output<typeof headersFilterSection>;
export type ThrottleFilterConfig = z.output<typeof throttleFilterSection>;
