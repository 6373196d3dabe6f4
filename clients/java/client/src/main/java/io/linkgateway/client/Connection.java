package io.linkgateway.client;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.AbstractStub;
import java.io.File;
import java.io.IOException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * How to reach the gateway: a channel (plaintext, TLS when a CA or a client
 * certificate is given, mTLS with the certificate and its PKCS#8 key) and the
 * per-call settings every stub should get (a deadline, a bearer token).
 *
 * <pre>{@code
 * Connection gateway = Connection.to("127.0.0.1:50051").withTimeout(30, TimeUnit.SECONDS);
 * ManagedChannel channel = gateway.channel();
 * UnlinkServiceGrpc.UnlinkServiceBlockingStub unlink =
 *     gateway.prepare(UnlinkServiceGrpc.newBlockingStub(channel));
 * }</pre>
 */
public final class Connection {
  private final String target;
  private File caFile;
  private File certFile;
  private File keyFile;
  private String bearerToken;
  private long timeoutMillis = 30_000;

  private Connection(String target) {
    this.target = target;
  }

  /** A connection to {@code target} ("host:port", or any gRPC target). */
  public static Connection to(String target) {
    return new Connection(target);
  }

  /** TLS with these PEM roots instead of the system's. */
  public Connection withCaFile(File caFile) {
    this.caFile = caFile;
    return this;
  }

  /** mTLS: the client's PEM certificate chain and its PKCS#8 PEM key. */
  public Connection withClientCertificate(File certFile, File keyFile) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    return this;
  }

  /** Sent as {@code authorization: Bearer <token>} with every call. */
  public Connection withBearerToken(String token) {
    this.bearerToken = token;
    return this;
  }

  /** The deadline {@link #prepare} gives every call (default 30 s). */
  public Connection withTimeout(long amount, TimeUnit unit) {
    this.timeoutMillis = unit.toMillis(amount);
    return this;
  }

  /** A new channel as configured; the caller shuts it down. */
  public ManagedChannel channel() throws IOException {
    ChannelCredentials credentials;
    if (caFile == null && certFile == null) {
      credentials = InsecureChannelCredentials.create();
    } else {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      if (caFile != null)
        tls.trustManager(caFile);
      if (certFile != null)
        tls.keyManager(certFile, keyFile);
      credentials = tls.build();
    }
    return Grpc.newChannelBuilder(target, credentials).build();
  }

  /** The stub with the deadline and, if set, the bearer token. */
  public <S extends AbstractStub<S>> S prepare(S stub) {
    S prepared = stub.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
    if (bearerToken != null)
      prepared = prepared.withCallCredentials(new Bearer(bearerToken));
    return prepared;
  }

  private static final class Bearer extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final String token;

    Bearer(String token) {
      this.token = token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      applier.apply(headers);
    }

    @Override
    public void thisUsesUnstableApi() {}
  }
}
