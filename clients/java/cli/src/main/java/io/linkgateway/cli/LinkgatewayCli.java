// linkgateway-java: calls any linkgateway RPC and prints the answer as JSON.
//
//   linkgateway-java [--target HOST:PORT] [--timeout DURATION] [--ca-file F]
//                    [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']
//
// The contract every linkgateway CLI keeps (docs/clients/index.md): the
// request is proto3 JSON ("-" reads standard input; default {}); the answer
// is one line of proto3 JSON, one line per message for watch-unlink; a failed
// call prints {"error": {...}} and exits with its gRPC code; a usage error
// exits 64.
package io.linkgateway.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import com.google.protobuf.Descriptors;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.linkgateway.client.Connection;
import io.linkgateway.client.ErrorDetails;
import io.linkgateway.client.RequestIds;
import io.linkgateway.client.health.v1.HealthCheckRequest;
import io.linkgateway.client.health.v1.HealthGrpc;
import io.linkgateway.client.longrunning.CancelOperationRequest;
import io.linkgateway.client.longrunning.DeleteOperationRequest;
import io.linkgateway.client.longrunning.GetOperationRequest;
import io.linkgateway.client.longrunning.ListOperationsRequest;
import io.linkgateway.client.longrunning.OperationsGrpc;
import io.linkgateway.client.longrunning.WaitOperationRequest;
import io.linkgateway.client.rpc.ErrorDetailsProto;
import io.linkgateway.v1.AppProfileServiceGrpc;
import io.linkgateway.v1.DeleteAppProfileRequest;
import io.linkgateway.v1.DeleteRegistrationRequest;
import io.linkgateway.v1.DeleteSubscriptionRequest;
import io.linkgateway.v1.GetProfileTransactionRequest;
import io.linkgateway.v1.GetSubscriptionInfoRequest;
import io.linkgateway.v1.RegistrationServiceGrpc;
import io.linkgateway.v1.StartUnlinkRequest;
import io.linkgateway.v1.SubscriptionServiceGrpc;
import io.linkgateway.v1.UnlinkMetadata;
import io.linkgateway.v1.UnlinkResult;
import io.linkgateway.v1.UnlinkServiceGrpc;
import io.linkgateway.v1.WatchUnlinkRequest;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class LinkgatewayCli {
  private static final int EX_USAGE = 64;
  private static final String HELP =
      "linkgateway-java [--target HOST:PORT] [--timeout DURATION] [--ca-file F]\n"
      + "                 [--cert-file F --key-file F] [--token-file F] VERB ['REQUEST JSON']\n";
  private static final List<String> FLAGS =
      List.of("--target", "--timeout", "--ca-file", "--cert-file", "--key-file", "--token-file");
  // A number of seconds, or a number with one unit: 5, 5s, 2.5s, 500ms, 1m, 1h.
  private static final Pattern DURATION = Pattern.compile("^(\\d+(?:\\.\\d+)?)(ms|s|m|h)?$");
  // Any's JSON needs the types it may hold: the unlink job's and the error details.
  private static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(UnlinkMetadata.getDescriptor())
          .add(UnlinkResult.getDescriptor())
          .add(ErrorDetailsProto.getDescriptor().getMessageTypes())
          .build();
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private LinkgatewayCli() {}

  private static final class UsageError extends Exception {
    UsageError(String message) {
      super(message);
    }
  }

  /** One verb: a fresh request builder, and how to send the built request. */
  private interface Call {
    void send(
        ManagedChannel channel, Connection connection, Message request, Consumer<Message> emit);
  }

  private record Verb(Supplier<Message.Builder> builder, Call call) {}

  private static final Map<String, Verb> VERBS = new LinkedHashMap<>();

  static {
    VERBS.put("delete-registration",
        new Verb(DeleteRegistrationRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(RegistrationServiceGrpc.newBlockingStub(ch))
                                   .deleteRegistration((DeleteRegistrationRequest) r))));
    VERBS.put("get-subscription-info",
        new Verb(GetSubscriptionInfoRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(SubscriptionServiceGrpc.newBlockingStub(ch))
                                   .getSubscriptionInfo((GetSubscriptionInfoRequest) r))));
    VERBS.put("delete-subscription",
        new Verb(DeleteSubscriptionRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(SubscriptionServiceGrpc.newBlockingStub(ch))
                                   .deleteSubscription((DeleteSubscriptionRequest) r))));
    VERBS.put("delete-app-profile",
        new Verb(DeleteAppProfileRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(AppProfileServiceGrpc.newBlockingStub(ch))
                                   .deleteAppProfile((DeleteAppProfileRequest) r))));
    VERBS.put("get-profile-transaction",
        new Verb(GetProfileTransactionRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(AppProfileServiceGrpc.newBlockingStub(ch))
                                   .getProfileTransaction((GetProfileTransactionRequest) r))));
    VERBS.put("start-unlink",
        new Verb(StartUnlinkRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(UnlinkServiceGrpc.newBlockingStub(ch))
                                   .startUnlink((StartUnlinkRequest) r))));
    VERBS.put("watch-unlink", new Verb(WatchUnlinkRequest::newBuilder, (ch, c, r, emit) -> {
      Iterator<UnlinkMetadata> stream =
          c.prepare(UnlinkServiceGrpc.newBlockingStub(ch)).watchUnlink((WatchUnlinkRequest) r);
      while (stream.hasNext()) emit.accept(stream.next());
    }));
    VERBS.put("get-operation",
        new Verb(GetOperationRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(OperationsGrpc.newBlockingStub(ch))
                                   .getOperation((GetOperationRequest) r))));
    VERBS.put("list-operations",
        new Verb(ListOperationsRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(OperationsGrpc.newBlockingStub(ch))
                                   .listOperations((ListOperationsRequest) r))));
    VERBS.put("cancel-operation",
        new Verb(CancelOperationRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(OperationsGrpc.newBlockingStub(ch))
                                   .cancelOperation((CancelOperationRequest) r))));
    VERBS.put("wait-operation",
        new Verb(WaitOperationRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(OperationsGrpc.newBlockingStub(ch))
                                   .waitOperation((WaitOperationRequest) r))));
    VERBS.put("delete-operation",
        new Verb(DeleteOperationRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(c.prepare(OperationsGrpc.newBlockingStub(ch))
                                   .deleteOperation((DeleteOperationRequest) r))));
    VERBS.put("health-check",
        new Verb(HealthCheckRequest::newBuilder,
            (ch, c, r, emit)
                -> emit.accept(
                    c.prepare(HealthGrpc.newBlockingStub(ch)).check((HealthCheckRequest) r))));
  }

  private static String help() {
    return HELP + "VERB: " + String.join(", ", VERBS.keySet()) + "\n";
  }

  static long parseDurationMillis(String text) throws UsageError {
    Matcher match = DURATION.matcher(text);
    if (!match.matches() || Double.parseDouble(match.group(1)) <= 0) {
      throw new UsageError("--timeout " + text + ": not a duration (e.g. 30, 30s, 500ms, 2m)");
    }
    double seconds = Double.parseDouble(match.group(1));
    String unit = match.group(2) == null ? "s" : match.group(2);
    double factor = switch (unit) {
      case "ms" -> 0.001;
      case "m" -> 60;
      case "h" -> 3600;
      default -> 1;
    };
    return Math.max(1, Math.round(seconds * factor * 1000));
  }

  /** --flag VALUE or --flag=VALUE; then VERB and an optional request. */
  static List<String> parseArgs(String[] args, Map<String, String> flags) throws UsageError {
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.length; ++i) {
      String arg = args[i];
      if (!arg.startsWith("-") || arg.equals("-")) {
        positional.add(arg);
        continue;
      }
      int equals = arg.indexOf('=');
      String name = equals < 0 ? arg :
        arg.substring(0, equals);
        if (!FLAGS.contains(name))
          throw new UsageError("unknown flag " + name);
        if (equals >= 0) {
          flags.put(name, arg.substring(equals + 1));
        } else {
          if (i + 1 >= args.length)
            throw new UsageError(name + " needs a value");
          flags.put(name, args[++i]);
        }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      throw new UsageError("expected VERB and an optional REQUEST JSON");
    }
    if (!VERBS.containsKey(positional.get(0))) {
      throw new UsageError("unknown verb " + positional.get(0));
    }
    if (flags.containsKey("--cert-file") != flags.containsKey("--key-file")) {
      throw new UsageError("--cert-file and --key-file go together");
    }
    return positional;
  }

  /** One line of proto3 JSON, the same bytes in every language's CLI. */
  private static void printJson(Message message) {
    try {
      String json = JsonFormat.printer().usingTypeRegistry(TYPES).print(message);
      System.out.println(GSON.toJson(JsonParser.parseString(json)));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static int run(String[] args) throws IOException, InterruptedException {
    if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
      System.out.print(help());
      return 0;
    }
    Map<String, String> flags =
        new HashMap<>(Map.of("--target", "127.0.0.1:50051", "--timeout", "30"));
    List<String> positional;
    long timeoutMillis;
    try {
      positional = parseArgs(args, flags);
      timeoutMillis = parseDurationMillis(flags.get("--timeout"));
    } catch (UsageError e) {
      System.err.print("linkgateway-java: " + e.getMessage() + "\n" + help());
      return EX_USAGE;
    }
    Verb verb = VERBS.get(positional.get(0));
    String json = positional.size() > 1 ? positional.get(1) : "{}";
    if (json.equals("-"))
      json = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    Message.Builder builder = verb.builder().get();
    try {
      JsonFormat.parser().usingTypeRegistry(TYPES).merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      System.err.println("linkgateway-java: the request is not valid JSON for "
          + builder.getDescriptorForType().getFullName() + ": " + e.getMessage());
      return EX_USAGE;
    }
    // A delete or unlink start without a request_id gets a fresh one
    // (AIP-155): a retry of this call is answered from the gateway's record.
    Descriptors.FieldDescriptor requestId =
        builder.getDescriptorForType().findFieldByName("request_id");
    if (requestId != null && ((String) builder.getField(requestId)).isEmpty()) {
      builder.setField(requestId, RequestIds.newRequestId());
    }
    Connection connection =
        Connection.to(flags.get("--target")).withTimeout(timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      if (flags.containsKey("--ca-file"))
        connection.withCaFile(new File(flags.get("--ca-file")));
      if (flags.containsKey("--cert-file")) {
        connection.withClientCertificate(
            new File(flags.get("--cert-file")), new File(flags.get("--key-file")));
      }
      if (flags.containsKey("--token-file")) {
        connection.withBearerToken(
            Files.readAllLines(Path.of(flags.get("--token-file")), StandardCharsets.UTF_8)
                .get(0)
                .trim());
      }
    } catch (IOException | IndexOutOfBoundsException e) {
      System.err.println("linkgateway-java: " + e.getMessage());
      return EX_USAGE;
    }
    ManagedChannel channel;
    try {
      channel = connection.channel();
    } catch (IOException | IllegalArgumentException e) {
      System.err.println("linkgateway-java: " + e.getMessage());
      return EX_USAGE;
    }
    try {
      verb.call().send(channel, connection, builder.build(), LinkgatewayCli::printJson);
      return 0;
    } catch (StatusRuntimeException e) {
      ErrorDetails details = ErrorDetails.explain(e);
      System.out.println(GSON.toJson(Map.of("error", details.toMap())));
      return details.code.value();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  public static void main(String[] args) throws Exception {
    int exit = run(args);
    System.out.flush();
    System.exit(exit);
  }
}
