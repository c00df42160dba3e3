/**
 * The daily log retention sweep of one region (functions/log-retention): removes each tenant's log
 * lines older than its `logRetentionDays`; the bucket's lifecycle rule stays the upper bound.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { LOG_STORE_RETENTION_ENV } from '../../functions/log-retention/sweep';
import type { LogStore } from './log-store';
import type { PlatformFunction, PlatformFunctionProps } from './platform-function';
import { invokeOnSchedule } from './scheduler-role';

export interface LogRetentionProps {
  readonly logStore: LogStore;
  /** Days the bucket keeps any line (its lifecycle rule). */
  readonly storeRetentionDays: number;
  readonly table: ITableV2;
  /** Encrypts the schedule and the function's failure queue. */
  readonly messagingKey: IKey;
  readonly deadLetterQueue: IQueue;
  readonly newFunction: (
    id: string,
    props: Omit<PlatformFunctionProps, 'logKey' | 'logRetentionDays'>,
  ) => PlatformFunction;
}

export class LogRetention extends Construct {
  readonly sweep: PlatformFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: LogRetentionProps) {
    super(scope, id);
    this.sweep = props.newFunction('LogRetentionSweep', {
      entry: 'functions/log-retention/handler.ts',
      description: "Daily: removes each tenant's log lines older than its log retention",
      serviceName: 'log-retention',
      timeout: Duration.minutes(15),
      asyncFailureKey: props.messagingKey,
    });
    // Reads tenants and their limits (logRetentionDays).
    this.sweep.bindTable(props.table, 'read');
    // Lists and deletes the tenants' expired hour partitions.
    props.logStore.bind(this.sweep, 'erase');
    this.sweep.fn.addEnvironment(LOG_STORE_RETENTION_ENV, String(props.storeRetentionDays));
    this.schedule = invokeOnSchedule(this, this.sweep, {
      description: 'Log retention sweep',
      what: 'log retention',
      every: Duration.days(1),
      key: props.messagingKey,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 2,
    });
  }
}
