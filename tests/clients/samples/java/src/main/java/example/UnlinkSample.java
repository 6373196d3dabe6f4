// Starts an unlink job and watches it to the end (see ../README.md).
package example;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.linkgateway.client.Connection;
import io.linkgateway.client.ErrorDetails;
import io.linkgateway.client.RequestIds;
import io.linkgateway.client.longrunning.Operation;
import io.linkgateway.v1.SellingPartnerSubscriptionKey;
import io.linkgateway.v1.SmsVoiceRegistrationKey;
import io.linkgateway.v1.StartUnlinkRequest;
import io.linkgateway.v1.UnlinkMetadata;
import io.linkgateway.v1.UnlinkServiceGrpc;
import io.linkgateway.v1.UnlinkStep;
import io.linkgateway.v1.UnlinkStepState;
import io.linkgateway.v1.UnlinkTarget;
import io.linkgateway.v1.WatchUnlinkRequest;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

public final class UnlinkSample {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: UnlinkSample TARGET REGISTRATION_ID SUBSCRIPTION_ID");
      System.exit(64);
    }
    Connection gateway = Connection.to(args[0]).withTimeout(60, TimeUnit.SECONDS);
    ManagedChannel channel = gateway.channel();
    int exit = 0;
    try {
      UnlinkServiceGrpc.UnlinkServiceBlockingStub unlink =
          gateway.prepare(UnlinkServiceGrpc.newBlockingStub(channel));
      Operation operation = unlink.startUnlink(
          StartUnlinkRequest.newBuilder()
              .setRequestId(RequestIds.newRequestId())
              .addTargets(UnlinkTarget.newBuilder().setSmsVoiceRegistration(
                  SmsVoiceRegistrationKey.newBuilder().setRegistrationId(args[1])))
              .addTargets(UnlinkTarget.newBuilder().setSellingPartnerSubscription(
                  SellingPartnerSubscriptionKey.newBuilder()
                      .setNotificationType("ANY_OFFER_CHANGED")
                      .setSubscriptionId(args[2])))
              .build());
      UnlinkMetadata last = null;
      Iterator<UnlinkMetadata> updates =
          unlink.watchUnlink(WatchUnlinkRequest.newBuilder().setName(operation.getName()).build());
      while (updates.hasNext()) {
        last = updates.next();
        System.out.println(last.getName() + " "
            + last.getStepsList()
                  .stream()
                  .map(step -> step.getState().name())
                  .collect(Collectors.joining(" ")));
      }
      System.out.println("done");
      for (UnlinkStep step : last == null ? java.util.List.<UnlinkStep>of() : last.getStepsList()) {
        if (step.getState() != UnlinkStepState.UNLINK_STEP_STATE_SUCCEEDED
            && step.getState() != UnlinkStepState.UNLINK_STEP_STATE_ALREADY_GONE) {
          exit = 1;
        }
      }
      if (last == null)
        exit = 1;
    } catch (StatusRuntimeException e) {
      System.err.println(ErrorDetails.explain(e).toMap());
      exit = 2;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }
}
