// Starts an unlink job and watches it to the end (see ../README.md).
import {connect, explain, linkgateway, newRequestId} from 'linkgateway-client';

const FINAL: Array<linkgateway.v1.UnlinkStepState|undefined> =
    ['UNLINK_STEP_STATE_SUCCEEDED', 'UNLINK_STEP_STATE_ALREADY_GONE'];

async function main(
    target: string, registrationId: string, subscriptionId: string): Promise<number> {
  const gateway = connect(target);
  try {
    const operation = await gateway.call(
        'StartUnlink', {
          requestId: newRequestId(),
          targets: [
            {smsVoiceRegistration: {registrationId}},
            {sellingPartnerSubscription: {notificationType: 'ANY_OFFER_CHANGED', subscriptionId}},
          ],
        },
        {deadlineSeconds: 30});
    let last: linkgateway.v1.UnlinkMetadata|undefined;
    for await (const metadata of gateway.watch(
        'WatchUnlink', {name: operation.name}, {deadlineSeconds: 60})) {
      last = metadata;
      console.log([metadata.name, ...(metadata.steps ?? []).map((step) => step.state)].join(' '));
    }
    console.log('done');
    return last && (last.steps ?? []).every((step) => FINAL.includes(step.state)) ? 0 : 1;
  } catch (error) {
    console.error(JSON.stringify(explain(error)));
    return 2;
  } finally {
    gateway.close();
  }
}

if (process.argv.length !== 5) {
  console.error('usage: node dist/unlink_sample.js TARGET REGISTRATION_ID SUBSCRIPTION_ID');
  process.exit(64);
}
main(process.argv[2], process.argv[3], process.argv[4]).then((code) => {
  process.exitCode = code;
});
