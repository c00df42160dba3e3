/**
 * The local bus's pattern matching against the examples of the EventBridge user guide ("Amazon
 * EventBridge event patterns", "Content filtering in Amazon EventBridge event patterns", "Arrays in
 * event patterns"): the same events, the same patterns, the documented outcome.
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, validatePattern } from '#adapters/local/event-bus-pattern';

const ec2Termination = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const autoscaling = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

const macie = {
  version: '0',
  id: '3e355723-fca9-4de3-9fd7-154c289d6b59',
  'detail-type': 'Macie Alert',
  source: 'aws.macie',
  account: '123456789012',
  time: '2017-04-24T22:28:49Z',
  region: 'us-east-1',
  resources: [
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id',
    'arn:aws:macie:us-east-1:123456789012:trigger/trigger_id',
  ],
  detail: {
    'notification-type': 'ALERT_CREATED',
    name: 'Scanning bucket policies',
    tags: ['Custom_Alert', 'Insider'],
    'risk-score': 80,
    trigger: { 'alert-type': 'basic', risk: 8 },
  },
};

describe('exact matching (user guide: event patterns)', () => {
  it('matches the EC2 termination pattern and not a running instance', () => {
    const pattern = {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    };
    expect(matchesPattern(pattern, ec2Termination)).toBe(true);
    expect(matchesPattern(pattern, { ...ec2Termination, detail: { state: 'running' } })).toBe(false);
  });

  it('matches one of several values', () => {
    expect(matchesPattern({ source: ['aws.ec2', 'aws.fargate'] }, ec2Termination)).toBe(true);
    expect(matchesPattern({ source: ['aws.fargate'] }, ec2Termination)).toBe(false);
  });

  it('matches null and the empty string exactly', () => {
    const pattern = {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    };
    expect(matchesPattern(pattern, autoscaling)).toBe(true);
    expect(matchesPattern({ detail: { eventVersion: [''] } }, autoscaling)).toBe(true);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, autoscaling)).toBe(false);
  });

  it('matches nested numeric values (Macie risk score 80 and trigger risk 8)', () => {
    const pattern = {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    };
    expect(matchesPattern(pattern, macie)).toBe(true);
    expect(matchesPattern({ detail: { trigger: { risk: [9] } } }, macie)).toBe(false);
  });

  it('is case-sensitive and needs every field the pattern names', () => {
    expect(matchesPattern({ source: ['AWS.EC2'] }, ec2Termination)).toBe(false);
    expect(matchesPattern({ detail: { missing: ['x'] } }, ec2Termination)).toBe(false);
  });

  it('matches arrays in the event when any element matches', () => {
    expect(matchesPattern({ detail: { tags: ['Insider'] } }, macie)).toBe(true);
    expect(
      matchesPattern(
        { resources: ['arn:aws:macie:us-east-1:123456789012:trigger/trigger_id', 'other'] },
        macie,
      ),
    ).toBe(true);
    expect(matchesPattern({ detail: { tags: ['Outsider'] } }, macie)).toBe(false);
  });
});

describe('content filtering (user guide examples)', () => {
  it('prefix: time starting with 2017-10-02', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesPattern(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matchesPattern(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(
      matchesPattern(
        { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
        { detail: { service: 'eventbridge' } },
      ),
    ).toBe(true);
  });

  it('anything-but a string, a number, lists of either, and a prefix', () => {
    const state = (s: string) => ({ detail: { state: s } });
    expect(
      matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, state('running')),
    ).toBe(true);
    expect(
      matchesPattern({ detail: { state: [{ 'anything-but': 'initializing' }] } }, state('initializing')),
    ).toBe(false);
    expect(
      matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 124 } }),
    ).toBe(true);
    expect(
      matchesPattern({ detail: { 'x-limit': [{ 'anything-but': 123 }] } }, { detail: { 'x-limit': 123 } }),
    ).toBe(false);
    const list = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesPattern(list, state('running'))).toBe(true);
    expect(matchesPattern(list, state('overloaded'))).toBe(false);
    const numbers = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesPattern(numbers, { detail: { 'x-limit': 250 } })).toBe(true);
    expect(matchesPattern(numbers, { detail: { 'x-limit': 200 } })).toBe(false);
    const prefix = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesPattern(prefix, state('running'))).toBe(true);
    expect(matchesPattern(prefix, state('initializing'))).toBe(false);
    // anything-but does not match a missing field
    expect(matchesPattern(prefix, { detail: {} })).toBe(false);
  });

  it('numeric: all of c-count in (0, 5], d-count < 10, x-limit = 3.018e2', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matchesPattern(pattern, { detail: { 'c-count': 5, 'd-count': 9, 'x-limit': 301.8 } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': 0, 'd-count': 9, 'x-limit': 301.8 } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { 'c-count': 5, 'd-count': 10, 'x-limit': 301.8 } })).toBe(
      false,
    );
    expect(matchesPattern(pattern, { detail: { 'c-count': '5', 'd-count': 9, 'x-limit': 301.8 } })).toBe(
      false,
    );
  });

  it('cidr: 10.0.0.0/24', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.0.24' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.1.1' } })).toBe(false);
  });

  it('exists: false matches a missing field, and a non-leaf one (the guide’s two events)', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    const first = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
      detail: { state: ['initializing', 'running'] },
    };
    const second = { ...first, detail: { ...first.detail, 'c-count': { c1: 100 } } };
    expect(matchesPattern(pattern, first)).toBe(true);
    expect(matchesPattern(pattern, second)).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': 3 } })).toBe(false);
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, { detail: { 'c-count': 3 } })).toBe(
      true,
    );
    expect(matchesPattern({ detail: { 'c-count': [{ exists: true }] } }, first)).toBe(false);
  });

  it('the complex example: prefix, anything-but and numeric together', () => {
    const pattern = {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    };
    const event = {
      time: '2017-10-02T18:43:48Z',
      detail: { state: 'running', 'c-count': 3, 'd-count': 2, 'x-limit': 50 },
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { ...event, detail: { ...event.detail, 'x-limit': 300 } })).toBe(false);
  });

  it('$or and suffix', () => {
    const pattern = {
      $or: [{ detail: { FileName: [{ suffix: '.png' }] } }, { detail: { size: [{ numeric: ['>', 1000] }] } }],
    };
    expect(matchesPattern(pattern, { detail: { FileName: 'a.png', size: 1 } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { FileName: 'a.jpg', size: 5000 } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { FileName: 'a.jpg', size: 5 } })).toBe(false);
  });

  it('refuses patterns EventBridge refuses', () => {
    expect(() => validatePattern({ source: 'aws.ec2' })).toThrow();
    expect(() => validatePattern({ detail: { x: [{ 'starts-with': 'a' }] } })).toThrow();
    expect(() => validatePattern({ detail: { x: [{ numeric: ['>'] }] } })).toThrow();
    expect(() => validatePattern({ detail: { severity: ['critical'], notify: [true] } })).not.toThrow();
  });
});
