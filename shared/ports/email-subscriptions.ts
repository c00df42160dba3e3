/**
 * Email delivery needs each recipient subscribed to the email topic (AWS: an SNS email subscription
 * whose filter policy matches the `recipient` message attribute the notifier sets). The alerts API
 * keeps subscriptions in step with the email recipients of the tenant's escalation chains.
 */
export interface EmailSubscriptions {
  /** Idempotent: an address already subscribed stays as it is (SNS sends a confirmation once). */
  subscribe(address: string): Promise<void>;
  /** Idempotent: nothing happens for an address that is not subscribed (or still pending confirmation). */
  unsubscribe(address: string): Promise<void>;
}
