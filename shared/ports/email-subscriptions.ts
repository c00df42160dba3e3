/**
 * Email delivery needs each recipient subscribed to the email topic (AWS: an SNS email subscription
 * whose filter policy matches the `recipient` message attribute the notifier sets). The alerts API
 * keeps subscriptions in step with every e-mail address a tenant names: its escalation chains'
 * recipients, its security-notice channels and its report schedules (functions/alerts/email-recipients.ts).
 */
export interface EmailSubscriptions {
  /** Idempotent: an address already subscribed stays as it is (SNS sends a confirmation once). */
  subscribe(address: string): Promise<void>;
  /** Idempotent: nothing happens for an address that is not subscribed (or still pending confirmation). */
  unsubscribe(address: string): Promise<void>;
}
