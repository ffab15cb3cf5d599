import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ForbiddenTargetError,
  isForbiddenAddress,
  resolvePublicAddresses,
  type Resolver,
} from './ssrf-guard.js';

describe('SSRF guard', () => {
  it('refuses loopback, private, link-local, metadata and reserved IPv4', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      assert.equal(isForbiddenAddress(ip), true, ip);
    }
    for (const ip of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '93.184.216.34'])
      assert.equal(isForbiddenAddress(ip), false, ip);
  });

  it('refuses the same in IPv6, including IPv4-mapped and NAT64 forms', () => {
    for (const ip of [
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'fc00::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '::ffff:10.0.0.1',
    ]) {
      assert.equal(isForbiddenAddress(ip), true, ip);
    }
    for (const ip of ['2606:4700:4700::1111', '::ffff:8.8.8.8'])
      assert.equal(isForbiddenAddress(ip), false, ip);
  });

  it('checks every address a host resolves to', async () => {
    const resolver =
      (answers: Record<string, string[]>): Resolver =>
      async (host) =>
        (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const dns = resolver({
      'public.example': ['93.184.216.34'],
      'mixed.example': ['93.184.216.34', '10.0.0.5'],
      'nothing.example': [],
    });
    assert.deepEqual(await resolvePublicAddresses('public.example', dns), [
      { address: '93.184.216.34', family: 4 },
    ]);
    await assert.rejects(resolvePublicAddresses('mixed.example', dns), ForbiddenTargetError);
    await assert.rejects(resolvePublicAddresses('nothing.example', dns), ForbiddenTargetError);
    await assert.rejects(resolvePublicAddresses('[::1]', dns), ForbiddenTargetError);
    await assert.rejects(resolvePublicAddresses('169.254.169.254', dns), /169\.254\.169\.254/);
  });

  it('refuses localhost through the system resolver', async () => {
    await assert.rejects(resolvePublicAddresses('localhost'), ForbiddenTargetError);
  });
});
