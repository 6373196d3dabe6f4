package io.linkgateway.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.linkgateway.client.rpc.BadRequest;
import io.linkgateway.client.rpc.ErrorInfo;
import io.linkgateway.client.rpc.RetryInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A failed call's status and its google.rpc details (the
 * grpc-status-details-bin trailer): ErrorInfo, RetryInfo, BadRequest.
 */
public final class ErrorDetails {
  private static final Metadata.Key<byte[]> DETAILS =
      Metadata.Key.of("grpc-status-details-bin", Metadata.BINARY_BYTE_MARSHALLER);

  public final Status.Code code;
  public final String message;
  /** Null when the error carried none. */
  public final ErrorInfo errorInfo;
  public final RetryInfo retryInfo;
  public final BadRequest badRequest;

  private ErrorDetails(Status.Code code, String message, ErrorInfo errorInfo, RetryInfo retryInfo,
      BadRequest badRequest) {
    this.code = code;
    this.message = message;
    this.errorInfo = errorInfo;
    this.retryInfo = retryInfo;
    this.badRequest = badRequest;
  }

  /** Reads the details of a failed call. */
  public static ErrorDetails explain(StatusRuntimeException error) {
    ErrorInfo info = null;
    RetryInfo retry = null;
    BadRequest bad = null;
    Metadata trailers = error.getTrailers();
    byte[] raw = trailers == null ? null : trailers.get(DETAILS);
    if (raw != null) {
      try {
        for (Any detail : io.linkgateway.client.rpc.Status.parseFrom(raw).getDetailsList()) {
          if (detail.is(ErrorInfo.class))
            info = detail.unpack(ErrorInfo.class);
          else if (detail.is(RetryInfo.class))
            retry = detail.unpack(RetryInfo.class);
          else if (detail.is(BadRequest.class))
            bad = detail.unpack(BadRequest.class);
        }
      } catch (InvalidProtocolBufferException e) {
        // Undecodable details: the code and message still say what failed.
      }
    }
    return new ErrorDetails(error.getStatus().getCode(),
        error.getStatus().getDescription() == null ? "" : error.getStatus().getDescription(), info,
        retry, bad);
  }

  /** The provider's request id (ErrorInfo metadata), or null. */
  public String upstreamRequestId() {
    String id = errorInfo == null ? null : errorInfo.getMetadataOrDefault("upstreamRequestId", "");
    return id == null || id.isEmpty() ? null : id;
  }

  /**
   * The CLI contract's error object, in its key order: code, message, then
   * reason, domain, metadata (keys sorted), upstreamRequestId,
   * retryDelaySeconds, fieldViolations when present.
   */
  public Map<String, Object> toMap() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("code", code.name());
    out.put("message", message);
    if (errorInfo != null) {
      out.put("reason", errorInfo.getReason());
      out.put("domain", errorInfo.getDomain());
      out.put("metadata", new TreeMap<>(errorInfo.getMetadataMap()));
      if (upstreamRequestId() != null)
        out.put("upstreamRequestId", upstreamRequestId());
    }
    if (retryInfo != null) {
      out.put("retryDelaySeconds",
          retryInfo.getRetryDelay().getSeconds() + retryInfo.getRetryDelay().getNanos() / 1e9);
    }
    if (badRequest != null) {
      List<Map<String, String>> violations = new ArrayList<>();
      for (BadRequest.FieldViolation v : badRequest.getFieldViolationsList()) {
        Map<String, String> violation = new LinkedHashMap<>();
        violation.put("field", v.getField());
        violation.put("description", v.getDescription());
        violations.add(violation);
      }
      out.put("fieldViolations", violations);
    }
    return out;
  }
}
