import { describe, expect, it } from 'vitest';
import { mergeCookies, UpstreamJar } from '../../../src/upstream/cookie-jar.js';

describe('the upstream cookie jar', () => {
  it('scopes cookies by path', () => {
    const jar = new UpstreamJar();
    jar.absorb(['ROOT=1; Path=/', 'API=2; Path=/api'], 'http://127.0.0.1:9001/api/login');
    expect(jar.cookieHeader('http://127.0.0.1:9001/api/items')).toBe('API=2; ROOT=1');
    expect(jar.cookieHeader('http://127.0.0.1:9001/other')).toBe('ROOT=1');
    expect(jar.cookieHeader('http://127.0.0.1:9001/apix')).toBe('ROOT=1');
  });

  it('defaults the path to the directory of the request that set it', () => {
    const jar = new UpstreamJar();
    jar.absorb(['D=1'], 'http://127.0.0.1:9001/app/login');
    expect(jar.cookieHeader('http://127.0.0.1:9001/app/x')).toBe('D=1');
    expect(jar.cookieHeader('http://127.0.0.1:9001/')).toBe('');
  });

  it('scopes cookies by domain: a host-only cookie stays on its host, a domain cookie reaches subdomains', () => {
    const jar = new UpstreamJar();
    jar.absorb(['HOST=1; Path=/'], 'http://api.example.test/');
    jar.absorb(['DOM=2; Domain=example.test; Path=/'], 'http://api.example.test/');
    jar.absorb(['EVIL=3; Domain=other.test; Path=/'], 'http://api.example.test/');
    expect(jar.cookieHeader('http://api.example.test/')).toBe('HOST=1; DOM=2');
    expect(jar.cookieHeader('http://www.example.test/')).toBe('DOM=2');
    expect(jar.cookieHeader('http://other.test/')).toBe('');
  });

  it('sends Secure cookies to a loopback http server (a trustworthy origin) but not to other plain-http hosts', () => {
    const jar = new UpstreamJar();
    jar.absorb(['S=1; Secure; Path=/'], 'http://127.0.0.1:9001/');
    expect(jar.cookieHeader('http://127.0.0.1:9001/')).toBe('S=1');
    const remote = new UpstreamJar();
    remote.absorb(['S=1; Secure; Path=/'], 'https://backend.example.test/');
    expect(remote.cookieHeader('http://backend.example.test/')).toBe('');
    expect(remote.cookieHeader('https://backend.example.test/')).toBe('S=1');
  });

  it('drops expired cookies and honours Max-Age=0 as a deletion', () => {
    const jar = new UpstreamJar();
    jar.absorb(['OLD=1; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'LIVE=1; Path=/; Max-Age=3600'], 'http://127.0.0.1:1/');
    expect(jar.cookieHeader('http://127.0.0.1:1/')).toBe('LIVE=1');
    jar.absorb(['LIVE=1; Path=/; Max-Age=0'], 'http://127.0.0.1:1/');
    expect(jar.cookieHeader('http://127.0.0.1:1/')).toBe('');
  });

  it('lists cookie names, never values, and ignores malformed Set-Cookie values', () => {
    const jar = new UpstreamJar();
    jar.absorb(['JSESSIONID=secret; Path=/', '=novalue', ';;;'], 'http://127.0.0.1:1/');
    expect(jar.names('http://127.0.0.1:1/')).toEqual(['JSESSIONID']);
  });

  it('merges jar cookies into the Cookie fields, the jar winning over a stale client copy', () => {
    const headers = ['accept', '*/*', 'cookie', 'theme=dark; JSESSIONID=stale', 'cookie', 'lang=en'];
    mergeCookies(headers, 'JSESSIONID=fresh; LB=1');
    expect(headers).toEqual(['accept', '*/*', 'cookie', 'theme=dark; lang=en; JSESSIONID=fresh; LB=1']);
    const none = ['accept', '*/*'];
    mergeCookies(none, 'A=1');
    expect(none).toEqual(['accept', '*/*', 'cookie', 'A=1']);
    const untouched = ['cookie', 'x=1'];
    mergeCookies(untouched, '');
    expect(untouched).toEqual(['cookie', 'x=1']);
  });
});
