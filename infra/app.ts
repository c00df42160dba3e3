/**
 * CDK entry point (cdk.json: `npx tsx infra/app.ts`). Config: infra/config.ts defaults, overridable
 * with context (`-c onCallEmail=...` required, `-c timestreamRegions=us-west-2,...`,
 * `-c metricStore=amp`, `-c platformConfig='{...}'`, `-c account=...`).
 * cdk-nag AwsSolutions runs on every synth; an unacknowledged finding fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { addPlatformChecks } from './acknowledgements';
import { configFromContext, describeMetricStores } from './config';
import { buildPlatform, PLATFORM_CONTEXT } from './platform';

const app = new App({ context: { ...PLATFORM_CONTEXT } });
const config = configFromContext(app.node);
// stderr: stdout is the template when `cdk synth` prints one.
console.error(`Metric store per region:\n  ${describeMetricStores(config).join('\n  ')}`);
buildPlatform(app, config);
addPlatformChecks(app);
app.synth();
