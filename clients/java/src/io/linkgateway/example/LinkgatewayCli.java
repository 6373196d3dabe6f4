// Calls every linkgateway RPC from Java with stubs from Debian's grpc-java
// plugin, and prints an error's google.rpc.Status details (ErrorInfo,
// RetryInfo, BadRequest) with grpc-java's StatusProto.
//
//   java -jar linkgateway-java.jar [--target 127.0.0.1:50051] [--timeout 30] VERB 'REQUEST JSON'
//
// VERB: delete-registration, get-subscription-info, delete-subscription,
// delete-app-profile, get-profile-transaction; the request is proto3 JSON
// ("-" reads standard input). TLS: --ca-file; mTLS adds --cert-file and
// --key-file (PKCS#8); a bearer token comes from --token-file. A failed call
// prints {"error": {...}} and exits with its gRPC code.
package io.linkgateway.example;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.linkgateway.v1.AppProfileServiceGrpc;
import io.linkgateway.v1.DeleteAppProfileRequest;
import io.linkgateway.v1.DeleteRegistrationRequest;
import io.linkgateway.v1.DeleteSubscriptionRequest;
import io.linkgateway.v1.GetProfileTransactionRequest;
import io.linkgateway.v1.GetSubscriptionInfoRequest;
import io.linkgateway.v1.RegistrationServiceGrpc;
import io.linkgateway.v1.SubscriptionServiceGrpc;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

public final class LinkgatewayCli {
  private static final String USAGE =
      "usage: linkgateway-java [--target HOST:PORT] [--timeout SECONDS] [--ca-file F] "
          + "[--cert-file F --key-file F] [--token-file F] VERB 'REQUEST JSON'\n"
          + "VERB: delete-registration, get-subscription-info, delete-subscription, "
          + "delete-app-profile, get-profile-transaction";

  private LinkgatewayCli() {}

  /** One RPC: parse the JSON into its request, call it on the channel. */
  private interface Rpc {
    Message call(ManagedChannel channel, String json, Options options) throws IOException;
  }

  private static final class Options {
    String target = "127.0.0.1:50051";
    long timeoutMillis = 30_000;
    String caFile, certFile, keyFile, tokenFile;
  }

  private static <S extends AbstractStub<S>> S prepare(S stub, Options options) throws IOException {
    S prepared = stub.withDeadlineAfter(options.timeoutMillis, TimeUnit.MILLISECONDS);
    if (options.tokenFile != null) {
      String token = Files.readAllLines(Path.of(options.tokenFile), StandardCharsets.UTF_8)
          .get(0).trim();
      Metadata headers = new Metadata();
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + token);
      prepared = prepared.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return prepared;
  }

  private static <B extends Message.Builder> B parse(String json, B builder)
      throws InvalidProtocolBufferException {
    JsonFormat.parser().merge(json, builder);
    // A delete without a request_id gets a fresh one (AIP-155): a retry of
    // this call is then answered from the gateway's record, not repeated.
    Descriptors.FieldDescriptor requestId =
        builder.getDescriptorForType().findFieldByName("request_id");
    if (requestId != null && ((String) builder.getField(requestId)).isEmpty()) {
      builder.setField(requestId, UUID.randomUUID().toString());
    }
    return builder;
  }

  private static final Map<String, Rpc> RPCS = new LinkedHashMap<>();

  static {
    RPCS.put("delete-registration", (channel, json, o) ->
        prepare(RegistrationServiceGrpc.newBlockingStub(channel), o)
            .deleteRegistration(parse(json, DeleteRegistrationRequest.newBuilder()).build()));
    RPCS.put("get-subscription-info", (channel, json, o) ->
        prepare(SubscriptionServiceGrpc.newBlockingStub(channel), o)
            .getSubscriptionInfo(parse(json, GetSubscriptionInfoRequest.newBuilder()).build()));
    RPCS.put("delete-subscription", (channel, json, o) ->
        prepare(SubscriptionServiceGrpc.newBlockingStub(channel), o)
            .deleteSubscription(parse(json, DeleteSubscriptionRequest.newBuilder()).build()));
    RPCS.put("delete-app-profile", (channel, json, o) ->
        prepare(AppProfileServiceGrpc.newBlockingStub(channel), o)
            .deleteAppProfile(parse(json, DeleteAppProfileRequest.newBuilder()).build()));
    RPCS.put("get-profile-transaction", (channel, json, o) ->
        prepare(AppProfileServiceGrpc.newBlockingStub(channel), o)
            .getProfileTransaction(parse(json, GetProfileTransactionRequest.newBuilder()).build()));
  }

  /** A failed call's code, message and rich details. */
  static Map<String, Object> explain(StatusRuntimeException error)
      throws InvalidProtocolBufferException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("code", error.getStatus().getCode().name());
    out.put("message", error.getStatus().getDescription());
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    if (status == null) return out;
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        ErrorInfo info = detail.unpack(ErrorInfo.class);
        out.put("reason", info.getReason());
        out.put("domain", info.getDomain());
        out.put("metadata", info.getMetadataMap());
        if (info.containsMetadata("upstreamRequestId")) {
          out.put("upstreamRequestId", info.getMetadataOrThrow("upstreamRequestId"));
        }
      } else if (detail.is(RetryInfo.class)) {
        RetryInfo retry = detail.unpack(RetryInfo.class);
        out.put("retryDelaySeconds",
            retry.getRetryDelay().getSeconds() + retry.getRetryDelay().getNanos() / 1e9);
      } else if (detail.is(BadRequest.class)) {
        List<Map<String, String>> violations = new ArrayList<>();
        for (BadRequest.FieldViolation v : detail.unpack(BadRequest.class).getFieldViolationsList()) {
          violations.add(Map.of("field", v.getField(), "description", v.getDescription()));
        }
        out.put("fieldViolations", violations);
      }
    }
    return out;
  }

  private static ChannelCredentials credentials(Options o) throws IOException {
    if (o.caFile == null && o.certFile == null) return InsecureChannelCredentials.create();
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    if (o.caFile != null) tls.trustManager(new File(o.caFile));
    if (o.certFile != null) tls.keyManager(new File(o.certFile), new File(o.keyFile));
    return tls.build();
  }

  private static void usage() {
    System.err.println(USAGE);
    System.exit(64);
  }

  public static void main(String[] args) throws Exception {
    Options options = new Options();
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.length; ++i) {
      String flag = args[i];
      if (!flag.startsWith("--")) {
        positional.add(flag);
        continue;
      }
      if (i + 1 >= args.length) usage();
      String value = args[++i];
      switch (flag) {
        case "--target": options.target = value; break;
        case "--timeout": options.timeoutMillis = (long) (Double.parseDouble(value) * 1000); break;
        case "--ca-file": options.caFile = value; break;
        case "--cert-file": options.certFile = value; break;
        case "--key-file": options.keyFile = value; break;
        case "--token-file": options.tokenFile = value; break;
        default: usage();
      }
    }
    if (positional.size() != 2 || !RPCS.containsKey(positional.get(0))) usage();
    String json = positional.get(1).equals("-")
        ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : positional.get(1);
    ManagedChannel channel = Grpc.newChannelBuilder(options.target, credentials(options)).build();
    int exit = 0;
    try {
      Message response = RPCS.get(positional.get(0)).call(channel, json, options);
      System.out.println(JsonFormat.printer().print(response));
    } catch (InvalidProtocolBufferException e) {
      System.err.println("the request is not valid JSON for this verb: " + e.getMessage());
      exit = 64;
    } catch (StatusRuntimeException e) {
      Gson gson = new GsonBuilder().disableHtmlEscaping().create();
      System.out.println(gson.toJson(Map.of("error", explain(e))));
      exit = e.getStatus().getCode().value();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.exit(exit);
  }
}
